"""Status-list retrieval for verifiers: restricted fetching, caching and offline mode.

DESIGN §4–§5: a status list is fetched only from below the issuer's ``status_list_prefixes``
(checked before this module is reached), without following redirects, with the response and
the decompressed list both bounded, and only with ``Content-Type: application/statuslist+jwt``.
Verified lists are cached honouring ``ttl`` (clamped to 60 s … 1 day) and ``exp``, and shared
across requests. Offline, only the cache is used, up to a configured maximum age.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from wire.errors import StatusInvalid, StatusUnavailable, VerificationError
from wire.statuslist import StatusList, status_at, verify_status_list_token
from wire.verify import IssuerTrust

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CachedStatus",
    "DirectoryStatusCache",
    "MemoryStatusCache",
    "StatusCache",
    "StatusResolver",
]

STATUS_CONTENT_TYPE = "application/statuslist+jwt"
#: Largest status-list token accepted over the wire (a 10M-entry 2-bit list is ~0.3 MB).
MAX_TOKEN_BYTES = 4 * 1024 * 1024
#: Largest decompressed list: 2^25 two-bit entries.
MAX_LIST_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CachedStatus:
    """A verified status-list token and when it was fetched."""

    uri: str
    token: str
    fetched_at: int
    ttl: int
    exp: int
    status_list: StatusList

    def fresh(self, now: int) -> bool:
        """Inside ``ttl`` and before ``exp``: usable without asking the issuer again."""
        return now < self.fetched_at + self.ttl and now < self.exp


class StatusCache(Protocol):
    """Where verified status tokens are kept between lookups."""

    def get(self, uri: str) -> CachedStatus | None: ...

    def put(self, entry: CachedStatus) -> None: ...


class MemoryStatusCache:
    """Process-wide cache shared by every request of a verifier service."""

    def __init__(self) -> None:
        self._entries: dict[str, CachedStatus] = {}
        self._lock = threading.Lock()

    def get(self, uri: str) -> CachedStatus | None:
        with self._lock:
            return self._entries.get(uri)

    def put(self, entry: CachedStatus) -> None:
        with self._lock:
            self._entries[entry.uri] = entry


class DirectoryStatusCache:
    """On-disk cache for the CLI (``--cache-dir``): one JSON file per status-list URI.

    The token is re-verified when read back, so a file edited on disk is ``status_invalid``
    rather than trusted; the verification needs the issuer, so reads go through
    :meth:`load` and :meth:`get` only serves entries verified in this process.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._memory = MemoryStatusCache()

    def _path(self, uri: str) -> Path:
        return self.directory / f"status-{hashlib.sha256(uri.encode()).hexdigest()[:32]}.json"

    def get(self, uri: str) -> CachedStatus | None:
        return self._memory.get(uri)

    def load(self, uri: str) -> tuple[str, int] | None:
        """Raw (token, fetched_at) stored for ``uri``, if any."""
        try:
            record = json.loads(self._path(uri).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        token, fetched_at = record.get("token"), record.get("fetched_at")
        if record.get("uri") != uri or not isinstance(token, str) or type(fetched_at) is not int:
            return None
        return token, fetched_at

    def put(self, entry: CachedStatus) -> None:
        self._memory.put(entry)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(entry.uri)
        record = {"uri": entry.uri, "token": entry.token, "fetched_at": entry.fetched_at}
        # A temporary name unique to this writer: several workers sharing the directory must
        # never write into each other's half-written file before the atomic rename.
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=path.name, suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(record))
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise


class StatusResolver:
    """The verifier's :class:`wire.verify.StatusLookup`: cache first, then a restricted fetch.

    ``offline`` never touches the network: a list older than ``max_offline_age`` seconds (or
    none at all) is ``status_unavailable``.
    """

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        client_factory: Callable[[], httpx.Client] | None = None,
        cache: StatusCache,
        algorithms: frozenset[str],
        offline: bool = False,
        max_offline_age: int = 86_400,
        on_fetch: Callable[[str], None] | None = None,
    ) -> None:
        """``client_factory`` defers building the HTTP client to the first real fetch.

        The CLI uses it: creating an ``httpx.Client`` loads the CA bundle (~40 ms), which a
        verification answered from the cache, or rejected before the status check, never needs.
        """
        if client is None and client_factory is None and not offline:
            raise ValueError("an online resolver needs an HTTP client")
        self._client = client
        self._client_factory = client_factory
        self._cache = cache
        self._algorithms = algorithms
        self._offline = offline
        self._max_offline_age = max_offline_age
        self._on_fetch = on_fetch
        self._lock = threading.Lock()

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        entry = self._entry(issuer, uri, now)
        return status_at(entry.status_list, idx)

    def refresh(self, issuer: IssuerTrust, *, uri: str, now: int) -> CachedStatus:
        """Fetch, verify and cache ``uri`` now, however fresh the cached copy is.

        For a service's background refresh shortly before ``ttl`` runs out, so requests keep
        hitting the cache. The caller has checked ``uri`` against the issuer's prefixes
        (DESIGN §5). Offline there is nothing to refresh from: ``status_unavailable``.
        """
        if self._offline:
            raise StatusUnavailable()
        with self._lock:
            token = self._fetch(uri)
            entry = self._verify(issuer, uri, token, now, fetched_at=now)
            self._cache.put(entry)
            return entry

    def _entry(self, issuer: IssuerTrust, uri: str, now: int) -> CachedStatus:
        cached = self._cache.get(uri) or self._from_disk(issuer, uri, now)
        if self._offline:
            if cached is None or now - cached.fetched_at > self._max_offline_age:
                raise StatusUnavailable()
            if now >= cached.exp:
                raise StatusInvalid()
            return cached
        if cached is not None and cached.fresh(now):
            return cached
        with self._lock:  # one fetch per list at a time; others reuse its result
            cached = self._cache.get(uri)
            if cached is not None and cached.fresh(now):
                return cached
            token = self._fetch(uri)
            entry = self._verify(issuer, uri, token, now, fetched_at=now)
            self._cache.put(entry)
            return entry

    def _from_disk(self, issuer: IssuerTrust, uri: str, now: int) -> CachedStatus | None:
        if not isinstance(self._cache, DirectoryStatusCache):
            return None
        record = self._cache.load(uri)
        if record is None:
            return None
        token, fetched_at = record
        if self._offline and now - fetched_at > self._max_offline_age:
            raise StatusUnavailable()
        try:
            entry = self._verify(issuer, uri, token, now, fetched_at=fetched_at)
        except VerificationError:
            if self._offline:
                raise
            return None  # online: a bad or expired cached copy is simply refetched
        self._cache.put(entry)
        return entry

    def _verify(
        self, issuer: IssuerTrust, uri: str, token: str, now: int, *, fetched_at: int
    ) -> CachedStatus:
        parsed = verify_status_list_token(
            token,
            resolve_key=issuer.key,
            expected_sub=uri,
            now=now,
            algorithms=self._algorithms,
            max_bytes=MAX_LIST_BYTES,
            issuer=issuer.iss,
            max_size_chars=MAX_TOKEN_BYTES,
        )
        return CachedStatus(uri, token, fetched_at, parsed.ttl, parsed.exp, parsed.status_list)

    def _fetch(self, uri: str) -> str:
        import httpx  # only online verification pays for importing the HTTP stack

        if self._client is None:
            assert self._client_factory is not None
            self._client = self._client_factory()
        if self._on_fetch is not None:
            self._on_fetch(uri)
        try:
            with self._client.stream(
                "GET",
                uri,
                headers={"Accept": STATUS_CONTENT_TYPE},
                follow_redirects=False,
            ) as response:
                if response.status_code != httpx.codes.OK:
                    raise StatusUnavailable()
                content_type = response.headers.get("content-type", "")
                if content_type.split(";")[0].strip().lower() != STATUS_CONTENT_TYPE:
                    raise StatusInvalid()
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_TOKEN_BYTES:
                        raise StatusInvalid()
        except httpx.HTTPError as exc:
            raise StatusUnavailable() from exc
        try:
            return body.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise StatusInvalid() from exc
