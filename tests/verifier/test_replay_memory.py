"""The in-process replay cache: bounded by the freshness window, and closed when full."""

from __future__ import annotations

import pytest

from verifier.replay import MemoryNonceCache
from wire.errors import ServiceUnavailable

TTL = 120


def test_a_nonce_is_refused_within_its_window_and_forgotten_after() -> None:
    cache = MemoryNonceCache()
    assert cache.add("k", now=1000, ttl=TTL)
    assert cache.seen("k", now=1000 + TTL - 1)
    assert not cache.add("k", now=1000 + TTL - 1, ttl=TTL)
    assert not cache.seen("k", now=1000 + TTL)
    assert cache.add("k", now=1000 + TTL, ttl=TTL)


def test_expired_keys_are_retired_as_new_ones_arrive() -> None:
    """Memory follows rate × window: a steady stream never accumulates past one window."""
    cache = MemoryNonceCache()
    for second in range(10 * TTL):
        cache.add(f"n{second}", now=second, ttl=TTL)
        assert len(cache) <= TTL
    assert len(cache) == TTL


def test_a_key_re_added_later_keeps_its_later_expiry() -> None:
    cache = MemoryNonceCache()
    cache.add("k", now=0, ttl=10)
    cache.add("k", now=10, ttl=100)  # the first window closed; a new one opens
    cache.add("other", now=11, ttl=1)  # prunes the stale (10, "k") heap entry
    assert cache.seen("k", now=50)
    assert not cache.add("k", now=50, ttl=100)


def test_a_full_cache_of_live_nonces_fails_closed() -> None:
    cache = MemoryNonceCache(max_entries=3)
    for n in range(3):
        assert cache.add(f"n{n}", now=0, ttl=TTL)
    with pytest.raises(ServiceUnavailable):
        cache.add("n3", now=1, ttl=TTL)
    assert not cache.add("n0", now=1, ttl=TTL)  # nothing was forgotten to make room
    assert cache.add("n3", now=TTL, ttl=TTL)  # once the window closes there is room again
