"""What the holder page shows as a permit's status: valid, suspended, revoked, expired, unknown.

The wallet reads its own credential's ``status.status_list`` reference and fetches the Token
Status List (draft-ietf-oauth-status-list) from that URI, verifying the token with
:func:`wire.statuslist.verify_status_list_token` against the issuer's keys from its JWT VC
Issuer Metadata. This is information for the holder, not a verification: anything that goes
wrong is ``unknown``, never an error page. Tokens are cached per URI for their (clamped)
``ttl`` in a per-application :class:`StatusCache` on ``app.state`` (no module-level state).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, Generic, Literal, TypeVar

from wallet_api.outbound import Outbound, UrlRefused
from wire.credential import CHINA_TZ
from wire.encoding import loads_object
from wire.errors import ConfigurationError, Malformed, StatusInvalid
from wire.jwk import PublicKey
from wire.jws import ALGORITHMS
from wire.oid4vci import JWT_VC_ISSUER_SUFFIX, well_known_url
from wire.statuslist import StatusList, status_at, verify_status_list_token
from wire.trust import load_jwks

__all__ = ["PermitStatus", "StatusCache", "StatusReport", "due_for_endorsement"]

PermitStatus = Literal["valid", "suspended", "revoked", "expired", "unknown"]
_NAMES: Final[dict[int, PermitStatus]] = {0: "valid", 1: "revoked", 2: "suspended"}
#: Largest status list token accepted and its largest inflated list (2**24 entries, 2 bits).
_MAX_TOKEN_BYTES: Final = 4 * 1024 * 1024
_MAX_LIST_BYTES: Final = 4 * 1024 * 1024
_MAX_ENTRIES: Final = 256
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class StatusReport:
    status: PermitStatus
    due_for_endorsement: bool
    checked_at: datetime


def due_for_endorsement(endorsed_until: object, now: datetime, notice_days: int) -> bool:
    """True when the endorsement (签注) ends within ``notice_days`` (China Standard Time)."""
    if not isinstance(endorsed_until, str):
        return False
    try:
        end = date.fromisoformat(endorsed_until)
    except ValueError:
        return False
    return end - now.astimezone(CHINA_TZ).date() <= timedelta(days=notice_days)


class _Expiring(Generic[V]):
    """A small thread-safe map whose entries expire; cleared whole when it grows too large."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[V, datetime]] = {}

    def get(self, key: str, now: datetime) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] > now else None

    def put(self, key: str, value: V, until: datetime) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (value, until)


class StatusCache:
    """Verified status lists by URI and issuer keys by issuer, each with an expiry."""

    def __init__(self, outbound_factory: Callable[[], Outbound]) -> None:
        self._outbound = outbound_factory
        self._lists: _Expiring[StatusList] = _Expiring()
        self._keys: _Expiring[Mapping[str, PublicKey]] = _Expiring()

    def _issuer_keys(self, issuer: str, now: datetime) -> Mapping[str, PublicKey]:
        keys = self._keys.get(issuer, now)
        if keys is not None:
            return keys
        reply = self._outbound().request(
            "GET",
            well_known_url(issuer, JWT_VC_ISSUER_SUFFIX),
            headers={"Accept": "application/json"},
        )
        if reply.status != 200:
            raise StatusInvalid()
        try:
            document = loads_object(reply.body, Malformed)
        except Malformed:
            raise StatusInvalid() from None
        if document.get("issuer") != issuer or not isinstance(document.get("jwks"), dict):
            raise StatusInvalid()
        try:
            keys = load_jwks(document["jwks"])
        except ConfigurationError:
            raise StatusInvalid() from None
        self._keys.put(issuer, keys, now + timedelta(hours=1))
        return keys

    def _status_list(self, issuer: str, uri: str, now: datetime) -> StatusList:
        cached = self._lists.get(uri, now)
        if cached is not None:
            return cached
        keys = self._issuer_keys(issuer, now)
        reply = self._outbound().request(
            "GET",
            uri,
            headers={"Accept": "application/statuslist+jwt"},
            max_bytes=_MAX_TOKEN_BYTES,
        )
        if reply.status != 200 or reply.media_type != "application/statuslist+jwt":
            raise StatusInvalid()
        token = verify_status_list_token(
            reply.body.decode("ascii", errors="replace"),
            resolve_key=keys.get,
            expected_sub=uri,
            now=int(now.timestamp()),
            algorithms=ALGORITHMS,
            max_bytes=_MAX_LIST_BYTES,
            issuer=issuer,
        )
        self._lists.put(uri, token.status_list, now + timedelta(seconds=token.ttl))
        return token.status_list

    def report(
        self,
        *,
        issuer: str,
        claims: Mapping[str, Any],
        exp: int,
        uri: str | None,
        idx: int | None,
        now: datetime,
        notice_days: int,
    ) -> StatusReport:
        """The holder-facing status of one credential; network or format trouble is ``unknown``."""
        due = due_for_endorsement(claims.get("endorsed_until"), now, notice_days)
        status: PermitStatus = "unknown"
        if exp <= int(now.timestamp()):
            status = "expired"
        elif uri is not None and idx is not None:
            try:
                status = _NAMES.get(status_at(self._status_list(issuer, uri, now), idx), "unknown")
            except (StatusInvalid, UrlRefused, Outbound.Unreachable):
                status = "unknown"
        return StatusReport(status, due, now)
