"""Verifier-bound requests (DESIGN §3) and where they are kept: memory or Redis.

A request names the account that made it, the profile and its claim paths, a fresh single-use
nonce, a ``state`` and the ``response_uri`` its answer is posted to (``client_id`` =
``redirect_uri:`` + that URI is the KB-JWT ``aud``). The store is the only state of the flow
and is shared by all workers when Redis is configured: a request created at one worker can be
answered at another, and :meth:`RequestStore.complete` is atomic (``SET NX``), so the nonce is
accepted once however many answers race for it. The first valid answer is final; rejected
answers are kept as the latest attempt so the verifier's page can show them.

Records and results expire (``ttl``); results carry the disclosed claims, so they are kept no
longer than the verifier page needs them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from wire.errors import ServiceUnavailable
from wire.vprequest import CLIENT_ID_PREFIX, VerifierRequest

if TYPE_CHECKING:
    import redis

__all__ = [
    "MemoryRequestStore",
    "RedisRequestStore",
    "RequestRecord",
    "RequestStore",
    "RequestView",
]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as issued; ``expires_at`` ends the time it may be answered."""

    id: str
    account: str
    profile: str
    claims: tuple[str, ...]
    nonce: str
    state: str
    response_uri: str
    created_at: int
    expires_at: int

    @property
    def client_id(self) -> str:
        """The verifier id the KB-JWT ``aud`` must equal (OpenID4VP 1.0 §5.9.3)."""
        return CLIENT_ID_PREFIX + self.response_uri

    def to_request(self) -> VerifierRequest:
        return VerifierRequest(self.response_uri, self.nonce, self.state, self.profile, self.claims)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> RequestRecord:
        data = json.loads(text)
        data["claims"] = tuple(data["claims"])
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request with its final (valid) result, the latest rejected one and the answer count."""

    record: RequestRecord
    final: dict[str, Any] | None
    last: dict[str, Any] | None
    attempts: int


class RequestStore(Protocol):
    def put(self, record: RequestRecord, *, ttl: int) -> None: ...

    def get(self, request_id: str) -> RequestView | None: ...

    def complete(self, request_id: str, result: dict[str, Any], *, ttl: int) -> bool:
        """Record the valid answer; False if another answer completed the request first."""
        ...

    def attempt(self, request_id: str, result: dict[str, Any], *, ttl: int) -> None:
        """Record a rejected answer (the page shows the latest)."""
        ...


@dataclass
class _Entry:
    record: RequestRecord
    drop_at: int
    final: dict[str, Any] | None = None
    last: dict[str, Any] | None = None
    attempts: int = 0


class MemoryRequestStore:
    """One process. ``now`` for expiry comes from the record (``drop_at`` = created + ttl)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def put(self, record: RequestRecord, *, ttl: int) -> None:
        with self._lock:
            if len(self._entries) >= self._max_entries:
                cutoff = record.created_at
                self._entries = {k: e for k, e in self._entries.items() if e.drop_at > cutoff}
            if len(self._entries) >= self._max_entries:
                raise ServiceUnavailable("too many open verifier requests")
            self._entries[record.id] = _Entry(record, record.created_at + ttl)

    def get(self, request_id: str) -> RequestView | None:
        with self._lock:
            entry = self._entries.get(request_id)
            if entry is None:
                return None
            return RequestView(entry.record, entry.final, entry.last, entry.attempts)

    def complete(self, request_id: str, result: dict[str, Any], *, ttl: int) -> bool:
        with self._lock:
            entry = self._entries.get(request_id)
            if entry is None or entry.final is not None:
                return False
            entry.final = result
            entry.attempts += 1
            return True

    def attempt(self, request_id: str, result: dict[str, Any], *, ttl: int) -> None:
        with self._lock:
            entry = self._entries.get(request_id)
            if entry is not None:
                entry.last = result
                entry.attempts += 1


class RedisRequestStore:
    """Several workers or machines: one key per request, ``SET NX`` for the final result."""

    def __init__(self, client: redis.Redis, *, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _keys(self, request_id: str) -> tuple[str, str, str, str]:
        base = self._prefix + request_id
        return base, base + ":final", base + ":last", base + ":attempts"

    def put(self, record: RequestRecord, *, ttl: int) -> None:
        self._client.set(self._keys(record.id)[0], record.to_json(), ex=ttl)

    def get(self, request_id: str) -> RequestView | None:
        raw: list[bytes | None] = self._client.mget(self._keys(request_id))  # type: ignore[assignment]
        record, final, last, attempts = raw
        if record is None:
            return None
        return RequestView(
            RequestRecord.from_json(record),
            json.loads(final) if final is not None else None,
            json.loads(last) if last is not None else None,
            int(attempts) if attempts is not None else 0,
        )

    def _count(self, key: str, ttl: int) -> None:
        pipe = self._client.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl)
        pipe.execute()

    def complete(self, request_id: str, result: dict[str, Any], *, ttl: int) -> bool:
        record_key, final_key, _, attempts_key = self._keys(request_id)
        if not self._client.exists(record_key):
            return False
        won = bool(self._client.set(final_key, json.dumps(result), nx=True, ex=ttl))
        if won:
            self._count(attempts_key, ttl)
        return won

    def attempt(self, request_id: str, result: dict[str, Any], *, ttl: int) -> None:
        _, _, last_key, attempts_key = self._keys(request_id)
        self._client.set(last_key, json.dumps(result), ex=ttl)
        self._count(attempts_key, ttl)
