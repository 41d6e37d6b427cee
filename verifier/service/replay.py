"""One Redis round trip per verification instead of two, with the same answers (DESIGN §3, §6).

The pipeline asks the replay cache twice: ``seen`` at the holder-binding step (so a replay is
reported before profile and status failures, DESIGN §6 order) and ``add`` after every check
passed (the atomic record). With Redis each is a network round trip. :class:`DeferredSeen`
answers ``seen`` with "not seen" and only remembers the key; ``add`` goes to Redis as before
(``SET NX``: a replay of an otherwise valid presentation is still ``replayed``, atomically).
Only when a presentation failed a check that comes *after* the replay check does
:func:`settle` ask Redis whether the nonce was seen, and then reports ``replayed`` instead —
exactly what the pipeline would have answered. A valid verification costs one round trip, a
rejection at most one.
"""

from __future__ import annotations

from typing import Final

from wire.verify import NonceCache, VerificationResult

__all__ = ["AFTER_REPLAY_CHECK", "DeferredSeen", "settle"]

#: DESIGN §6 reasons decided after the replay check (profile sufficiency, then status).
AFTER_REPLAY_CHECK: Final = frozenset(
    {"insufficient_disclosure", "revoked", "suspended", "status_unavailable", "status_invalid"}
)


class DeferredSeen:
    """A per-verification view of a shared :class:`~wire.verify.NonceCache`."""

    __slots__ = ("cache", "key", "now")

    def __init__(self, cache: NonceCache) -> None:
        self.cache = cache
        self.key: str | None = None
        self.now = 0

    def seen(self, key: str, *, now: int) -> bool:
        self.key, self.now = key, now
        return False

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        return self.cache.add(key, now=now, ttl=ttl)


def settle(result: VerificationResult, deferred: DeferredSeen) -> VerificationResult:
    """The pipeline's answer had ``seen`` been asked at its place in the order."""
    if result.valid or result.reason not in AFTER_REPLAY_CHECK or deferred.key is None:
        return result
    if not deferred.cache.seen(deferred.key, now=deferred.now):
        return result
    return VerificationResult(False, "replayed", None, result.profile, {}, None)
