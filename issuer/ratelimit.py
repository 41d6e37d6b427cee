"""Login throttling: at most N failed logins per (username, client address) in a sliding window.

The :class:`LoginThrottle` lives on ``app.state`` (made by ``create_app``), never in a module
global, and keeps its counts in a :class:`FailureStore`. :class:`MemoryFailureStore` is
per-process: with several worker processes each enforces the limit on its own, so N workers
admit up to N times the attempts; deployments running many workers plug in a shared store
(e.g. Redis) behind the same Protocol.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from datetime import datetime, timedelta
from typing import Protocol

from wire.errors import RateLimited

__all__ = ["FailureStore", "LoginThrottle", "MemoryFailureStore"]


class FailureStore(Protocol):
    """Where failed attempts are counted, keyed by an opaque string."""

    def recent(self, key: str, *, since: datetime) -> list[datetime]:
        """Failure times for ``key`` strictly after ``since``, oldest first."""
        ...

    def add(self, key: str, at: datetime) -> None:
        """Record one failure."""
        ...

    def clear(self, key: str) -> None:
        """Forget ``key`` (after a successful login)."""
        ...


class MemoryFailureStore:
    """A thread-safe in-process store, bounded to ``max_keys`` keys (least recently failed
    evicted first) so a flood of random usernames cannot exhaust memory."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, deque[datetime]] = OrderedDict()

    def recent(self, key: str, *, since: datetime) -> list[datetime]:
        with self._lock:
            times = self._entries.get(key)
            if times is None:
                return []
            while times and times[0] <= since:
                times.popleft()
            if not times:
                del self._entries[key]
                return []
            return list(times)

    def add(self, key: str, at: datetime) -> None:
        with self._lock:
            times = self._entries.setdefault(key, deque())
            times.append(at)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_keys:
                self._entries.popitem(last=False)

    def clear(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


class LoginThrottle:
    """Refuse a login once ``max_failures`` failures happened within ``window``."""

    def __init__(self, store: FailureStore, *, max_failures: int, window: timedelta) -> None:
        self._store = store
        self._max_failures = max_failures
        self._window = window

    @staticmethod
    def key(username: str, client: str) -> str:
        """The throttle key: case-folded username and client address."""
        return f"{username.strip().casefold()}\x00{client}"

    def check(self, key: str, *, now: datetime) -> None:
        """:class:`RateLimited` (with seconds until the oldest failure ages out) when over."""
        failures = self._store.recent(key, since=now - self._window)
        if len(failures) >= self._max_failures:
            oldest_relevant = failures[-self._max_failures]
            wait = (oldest_relevant + self._window - now).total_seconds()
            raise RateLimited(
                "too many failed logins; try again later", retry_after=max(1, math.ceil(wait))
            )

    def failed(self, key: str, *, now: datetime) -> None:
        """Count one failed attempt."""
        self._store.add(key, now)

    def succeeded(self, key: str) -> None:
        """Reset the count after a successful login."""
        self._store.clear(key)
