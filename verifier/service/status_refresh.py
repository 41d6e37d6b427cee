"""Keeping status lists fresh in the background, so verifications are served from the cache.

The service shares one :class:`~verifier.status.StatusResolver` across requests (DESIGN §4:
cached honouring ``ttl`` and ``exp``). :class:`TrackingStatusLookup` notes which lists the
requests use; :class:`StatusRefresher` fetches each again shortly before its ``ttl`` (or ``exp``)
runs out, and at once when the trust list no longer holds the key that signed the cached
copy. A list whose issuer left the trust list, or whose URI is no longer under the issuer's
prefixes, is forgotten: status tokens are fetched only from the issuer's prefixes (DESIGN §5).
"""

from __future__ import annotations

import logging
import threading

from verifier.status import CachedStatus, StatusCache, StatusResolver
from wire.errors import Malformed, VerificationError
from wire.jws import parse_compact
from wire.statuslist import status_at
from wire.trust import TrustedIssuer, TrustList
from wire.verify import IssuerTrust

__all__ = ["StatusNotCached", "StatusRefresher", "TrackingStatusLookup"]

_log = logging.getLogger(__name__)


class StatusNotCached(Exception):
    """The list is not fresh in memory: verify again where a fetch may block (a thread)."""


class TrackingStatusLookup:
    """The resolver as a :class:`wire.verify.StatusLookup` that remembers the lists it served.

    :meth:`cached` is the same lookup restricted to fresh lists in memory: it never blocks, so
    the service can verify on the event loop and fall back to a worker thread only when a list
    must be fetched (:class:`StatusNotCached`). Nothing is recorded before the status step
    (the nonce is recorded last, DESIGN §3), so running a verification again is harmless.
    """

    def __init__(
        self, resolver: StatusResolver, cache: StatusCache, *, max_tracked: int = 10_000
    ) -> None:
        self.resolver = resolver
        self._cache = cache
        self._tracked: dict[str, str] = {}
        self._lock = threading.Lock()
        self._max_tracked = max_tracked

    def _track(self, issuer: IssuerTrust, uri: str) -> None:
        if uri not in self._tracked:
            with self._lock:
                if len(self._tracked) < self._max_tracked:
                    self._tracked[uri] = issuer.iss

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        self._track(issuer, uri)
        return self.resolver(issuer, uri=uri, idx=idx, now=now)

    def cached(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        """The status from a fresh in-memory list (as the resolver would serve it), or
        :class:`StatusNotCached`. Online only: offline rules need the resolver itself."""
        entry = self._cache.get(uri)
        if entry is None or not entry.fresh(now):
            raise StatusNotCached()
        self._track(issuer, uri)
        return status_at(entry.status_list, idx)

    def tracked(self) -> list[tuple[str, str]]:
        """(status-list URI, issuer) pairs seen so far."""
        with self._lock:
            return list(self._tracked.items())

    def forget(self, uri: str) -> None:
        with self._lock:
            self._tracked.pop(uri, None)


class StatusRefresher:
    """Refreshes tracked status lists ``margin`` seconds before they would go stale."""

    def __init__(
        self,
        lookup: TrackingStatusLookup,
        cache: StatusCache,
        *,
        margin: int,
        allow_insecure_loopback: bool,
    ) -> None:
        self._lookup = lookup
        self._cache = cache
        self._margin = margin
        self._allow_insecure_loopback = allow_insecure_loopback

    def _due(self, entry: CachedStatus | None, issuer: TrustedIssuer, now: int) -> bool:
        if entry is None:
            return True
        if now >= entry.fetched_at + entry.ttl - self._margin or now >= entry.exp - self._margin:
            return True
        kid = parse_compact(entry.token, Malformed).header.get("kid")
        return not isinstance(kid, str) or issuer.key(kid) is None

    def refresh_due(self, trust: TrustList, now: int) -> int:
        """Fetch every tracked list that is due; the number fetched. Failures keep the cache."""
        fetched = 0
        for uri, iss in self._lookup.tracked():
            issuer = trust.issuer(iss)
            allowed = issuer is not None and issuer.allows_status_uri(
                uri, allow_insecure_loopback=self._allow_insecure_loopback
            )
            if issuer is None or not allowed:
                self._lookup.forget(uri)
                continue
            if not self._due(self._cache.get(uri), issuer, now):
                continue
            try:
                self._lookup.resolver.refresh(issuer, uri=uri, now=now)
            except VerificationError as error:
                _log.warning("status list refresh failed: %s (issuer %s)", error.code, iss)
                continue
            fetched += 1
        return fetched
