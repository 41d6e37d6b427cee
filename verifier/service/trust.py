"""The trust list of a running verifier: loaded from a file or URL, refreshed on a schedule.

DESIGN §5: a signed ``trustlist+jwt`` is checked against the configured federation anchor
(:func:`keys.trustlist.verify_trust_list`) and validated whole. The same policy as
``permit verify`` applies (:func:`keys.trustlist.load_trust_list_file`): with an anchor only a
signed list is accepted, without one only a plain file. A list fetched from a URL must be
signed. Each refresh builds a new immutable :class:`~wire.trust.TrustList`, so issuer key
rotation and removal take effect at the next refresh and a request never sees half a list.

A refresh that fails keeps the list in force and logs the reason (never the content); so does
a signed list issued before the one in force (``iat``), which would roll back a removal. A
signed list's ``exp`` still counts: once it has passed and no newer list could be loaded, the
verifier refuses to verify (:class:`TrustListExpired`, HTTP 503) rather than trust a stale
federation.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from keys._files import read_limited
from keys.trustlist import verify_trust_list
from wire.errors import ConfigurationError, Malformed, ServiceUnavailable
from wire.jws import parse_compact
from wire.trust import MAX_TRUST_LIST_BYTES, TrustList

if TYPE_CHECKING:
    import httpx

__all__ = [
    "FileTrustSource",
    "TrustKeeper",
    "TrustListExpired",
    "TrustSource",
    "TrustState",
    "UrlTrustSource",
    "load_anchor",
    "parse_trust_list",
]

_log = logging.getLogger(__name__)
_ACCEPT = "application/trustlist+jwt, application/jwt;q=0.9, */*;q=0.1"


class TrustListExpired(ServiceUnavailable):
    code = "trust_list_expired"
    default_message = "the trust list has expired and no newer one could be loaded"


@dataclass(frozen=True, slots=True)
class TrustState:
    """A validated trust list, when it was loaded, and the signed list's ``iat``/``exp``."""

    trust_list: TrustList
    loaded_at: int
    expires_at: int | None
    digest: str
    issued_at: int | None = None


def load_anchor(path: Path) -> dict[str, Any]:
    """An anchor key file: a JWKS ``{"keys": [...]}`` or a single public JWK."""
    try:
        data = read_limited(path, 256 * 1024)
        document = json.loads(data) if data is not None else None
    except (OSError, ValueError):
        raise ConfigurationError("trust anchor file is not readable JSON") from None
    if isinstance(document, dict) and "keys" not in document:
        document = {"keys": [document]}
    if not isinstance(document, dict):
        raise ConfigurationError("trust anchor file must hold a JWK or a JWKS")
    return document


def parse_trust_list(
    data: bytes, *, anchor: dict[str, Any] | None, now: int, allow_insecure_loopback: bool
) -> TrustState:
    """Validate a plain or signed list under the ``permit verify`` policy (module docstring)."""
    content = data.strip()
    digest = hashlib.sha256(content).hexdigest()
    if content.startswith(b"{"):
        if anchor is not None:
            raise ConfigurationError("trust list is not signed, but a trust anchor is configured")
        trust = TrustList.from_bytes(content, allow_insecure_loopback=allow_insecure_loopback)
        return TrustState(trust, now, None, digest)
    if anchor is None:
        raise ConfigurationError("trust list is signed; configure its anchor key to verify it")
    try:
        token = content.decode("ascii")
    except UnicodeDecodeError:
        raise ConfigurationError("signed trust list is not a well-formed compact JWS") from None
    trust = verify_trust_list(
        token, anchor_keys=anchor, now=now, allow_insecure_loopback=allow_insecure_loopback
    )
    payload = parse_compact(token, Malformed).payload  # verified just above
    exp, iat = payload.get("exp"), payload.get("iat")
    return TrustState(
        trust,
        now,
        exp if type(exp) is int else None,
        digest,
        iat if type(iat) is int else None,
    )


class TrustSource(Protocol):
    """Where the serialised trust list comes from."""

    def read(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class FileTrustSource:
    path: Path

    def read(self) -> bytes:
        try:
            data = read_limited(self.path, MAX_TRUST_LIST_BYTES)
        except OSError:
            raise ConfigurationError("trust list file cannot be read") from None
        if data is None:
            raise ConfigurationError("trust list file is too large")
        return data


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class UrlTrustSource:
    """A signed list over https: no redirects, bounded size (as status lists, DESIGN §5)."""

    url: str
    client: httpx.Client
    allow_insecure_loopback: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        insecure_ok = self.allow_insecure_loopback and _loopback(parts.hostname)
        if parts.scheme != "https" and not (parts.scheme == "http" and insecure_ok):
            raise ConfigurationError("trust list URL must be https")

    def read(self) -> bytes:
        import httpx

        try:
            with self.client.stream(
                "GET", self.url, headers={"Accept": _ACCEPT}, follow_redirects=False
            ) as response:
                if response.status_code != httpx.codes.OK:
                    raise ConfigurationError("trust list URL did not answer 200")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_TRUST_LIST_BYTES:
                        raise ConfigurationError("trust list is too large")
        except httpx.HTTPError:
            raise ConfigurationError("trust list URL is unreachable") from None
        return bytes(body)


class TrustKeeper:
    """Holds the current :class:`TrustState`; :meth:`refresh` swaps in a newer one."""

    def __init__(
        self,
        source: TrustSource,
        *,
        anchor: dict[str, Any] | None,
        now: int,
        allow_insecure_loopback: bool,
    ) -> None:
        self._source = source
        self._anchor = anchor
        self._allow_insecure_loopback = allow_insecure_loopback
        self.current = self._load(now)  # a list that cannot be loaded at start-up is fatal

    def _load(self, now: int) -> TrustState:
        return parse_trust_list(
            self._source.read(),
            anchor=self._anchor,
            now=now,
            allow_insecure_loopback=self._allow_insecure_loopback,
        )

    def refresh(self, now: int) -> bool:
        """Reload; True if the list changed. A failure keeps the current list and is logged."""
        try:
            state = self._load(now)
        except ConfigurationError as error:
            _log.warning("trust list refresh failed: %s", error.message)
            return False
        current = self.current
        if current.issued_at is not None and (
            state.issued_at is None or state.issued_at < current.issued_at
        ):
            # A rollback: an older signed list (perhaps still naming a removed issuer or key)
            # must not replace a newer one, whoever can swap the file or answer the URL.
            _log.warning("trust list refresh refused: older than the list in force")
            return False
        changed = state.digest != current.digest
        self.current = state
        if changed:
            _log.info("trust list updated: %d issuers", len(state.trust_list.issuers))
        return changed

    def trust_list(self, now: int) -> TrustList:
        """The list in force, or :class:`TrustListExpired` once a signed list's ``exp`` passed."""
        state = self.current
        if state.expires_at is not None and now >= state.expires_at:
            raise TrustListExpired()
        return state.trust_list
