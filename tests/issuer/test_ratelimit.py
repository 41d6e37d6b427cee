"""Login throttle: N failures per window, Retry-After, reset on success, bounded memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from issuer.ratelimit import LoginThrottle, MemoryFailureStore
from tests.clock import FakeClock
from wire.errors import RateLimited


def throttle(max_failures: int = 3, window: int = 300) -> LoginThrottle:
    return LoginThrottle(
        MemoryFailureStore(), max_failures=max_failures, window=timedelta(seconds=window)
    )


def test_allows_until_the_limit_then_refuses_with_retry_after() -> None:
    clock, limiter = FakeClock(), throttle()
    for _ in range(3):
        limiter.check("k", now=clock())
        limiter.failed("k", now=clock())
        clock.advance(seconds=10)
    with pytest.raises(RateLimited) as caught:
        limiter.check("k", now=clock())
    # The first failure (30 s ago) ages out 270 s from now.
    assert caught.value.retry_after == 270


def test_window_slides() -> None:
    clock, limiter = FakeClock(), throttle()
    for _ in range(3):
        limiter.failed("k", now=clock())
        clock.advance(seconds=100)
    # Failures at t=0, 100, 200; now t=300: the one at t=0 has aged out.
    limiter.check("k", now=clock())
    limiter.failed("k", now=clock())
    with pytest.raises(RateLimited) as caught:
        limiter.check("k", now=clock())
    assert caught.value.retry_after == 100


def test_success_resets_and_keys_are_independent() -> None:
    clock, limiter = FakeClock(), throttle(max_failures=1)
    limiter.failed("a", now=clock())
    with pytest.raises(RateLimited):
        limiter.check("a", now=clock())
    limiter.check("b", now=clock())
    limiter.succeeded("a")
    limiter.check("a", now=clock())


def test_key_folds_case_and_includes_the_client() -> None:
    assert LoginThrottle.key(" Alice ", "10.0.0.1") == LoginThrottle.key("alice", "10.0.0.1")
    assert LoginThrottle.key("alice", "10.0.0.1") != LoginThrottle.key("alice", "10.0.0.2")


def test_store_is_bounded() -> None:
    clock = FakeClock()
    store = MemoryFailureStore(max_keys=2)
    for key in ("a", "b", "c"):
        store.add(key, clock())
    since = clock() - timedelta(seconds=1)
    assert store.recent("a", since=since) == []
    assert len(store.recent("c", since=since)) == 1


def test_retry_after_is_at_least_one_second() -> None:
    clock, limiter = FakeClock(), throttle(max_failures=1, window=1)
    limiter.failed("k", now=clock())
    clock.advance(seconds=0.999)
    with pytest.raises(RateLimited) as caught:
        limiter.check("k", now=clock())
    assert caught.value.retry_after == 1
