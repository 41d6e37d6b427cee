"""``DeferredSeen``: the pipeline's replay answers with one cache round trip, not two."""

from __future__ import annotations

import pytest

from verifier.service.replay import AFTER_REPLAY_CHECK, DeferredSeen, settle
from wire.errors import REASON_CODES
from wire.verify import VerificationResult


class CountingCache:
    def __init__(self, seen: set[str]) -> None:
        self.keys = set(seen)
        self.calls: list[str] = []

    def seen(self, key: str, *, now: int) -> bool:
        self.calls.append("seen")
        return key in self.keys

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        self.calls.append("add")
        if key in self.keys:
            return False
        self.keys.add(key)
        return True


def rejected(reason: str) -> VerificationResult:
    status = reason if reason in ("revoked", "suspended") else None
    return VerificationResult(False, reason, None, "landlord", {}, status)


def test_the_reasons_after_the_replay_check_are_the_design_order() -> None:
    order = list(REASON_CODES)
    assert all(order.index(r) > order.index("replayed") for r in AFTER_REPLAY_CHECK)
    assert {"holder_binding_invalid", "wrong_audience", "stale_presentation"}.isdisjoint(
        AFTER_REPLAY_CHECK
    )


@pytest.mark.parametrize("reason", sorted(AFTER_REPLAY_CHECK))
def test_a_later_failure_of_a_seen_nonce_is_replayed(reason: str) -> None:
    cache = CountingCache({"k"})
    deferred = DeferredSeen(cache)
    assert deferred.seen("k", now=5) is False  # no round trip at the holder-binding step
    assert cache.calls == []
    settled = settle(rejected(reason), deferred)
    assert (settled.reason, settled.status, settled.claims) == ("replayed", None, {})
    assert cache.calls == ["seen"]


def test_an_unseen_nonce_keeps_its_reason_and_earlier_reasons_cost_nothing() -> None:
    cache = CountingCache(set())
    deferred = DeferredSeen(cache)
    deferred.seen("k", now=5)
    assert settle(rejected("revoked"), deferred).reason == "revoked"
    cache.calls.clear()
    assert settle(rejected("wrong_audience"), deferred).reason == "wrong_audience"
    assert settle(rejected("malformed"), DeferredSeen(cache)).reason == "malformed"
    assert cache.calls == []


def test_a_valid_verification_costs_one_atomic_add() -> None:
    cache = CountingCache(set())
    deferred = DeferredSeen(cache)
    deferred.seen("k", now=5)
    assert deferred.add("k", now=5, ttl=240) is True
    valid = VerificationResult(True, None, "https://i", "landlord", {"name": "x"}, "valid")
    assert settle(valid, deferred) is valid
    assert cache.calls == ["add"]
    assert DeferredSeen(cache).add("k", now=6, ttl=240) is False  # the pipeline's Replayed
