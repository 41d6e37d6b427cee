"""Replay caches for KB-JWT nonces (DESIGN §3): memory, SQLite file and Redis.

Keys are opaque digests of (holder key thumbprint, nonce) computed by :mod:`wire.verify`; no
token or personal data is stored. ``add`` is an atomic check-and-set, so two workers that
verify the same QR at the same moment cannot both accept it.
"""

from __future__ import annotations

import heapq
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from wire.errors import ServiceUnavailable

if TYPE_CHECKING:
    import redis

__all__ = ["MemoryNonceCache", "RedisNonceCache", "SqliteNonceCache"]


class MemoryNonceCache:
    """One process: a dict of key → expiry, with a heap that retires expired keys as it goes.

    Every ``add`` first drops the keys whose window has closed (amortised O(log n)), so memory
    follows the rate of verifications times the freshness window rather than growing until a
    cap. The cap is a hard bound that fails *closed*: when it is reached with every key still
    live, ``add`` raises :class:`ServiceUnavailable` (a 503) instead of forgetting a nonce,
    which would let that presentation be replayed.
    """

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self._expiry: dict[str, int] = {}
        self._queue: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, key: str, *, now: int) -> bool:
        with self._lock:
            expiry = self._expiry.get(key)
            return expiry is not None and expiry > now

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        with self._lock:
            self._prune(now)
            expiry = self._expiry.get(key)
            if expiry is not None and expiry > now:
                return False
            if len(self._expiry) >= self._max_entries:
                raise ServiceUnavailable("the replay cache is full")
            self._expiry[key] = now + ttl
            heapq.heappush(self._queue, (now + ttl, key))
            return True

    def _prune(self, now: int) -> None:
        queue, table = self._queue, self._expiry
        while queue and queue[0][0] <= now:
            expiry, key = heapq.heappop(queue)
            if table.get(key) == expiry:  # not re-added with a later expiry since
                del table[key]


class SqliteNonceCache:
    """The CLI's cache between runs (``--cache-dir``): a small SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS nonces (key TEXT PRIMARY KEY, expiry INTEGER NOT NULL)"
        )
        self._lock = threading.Lock()

    def seen(self, key: str, *, now: int) -> bool:
        with self._lock:
            row = self._db.execute("SELECT expiry FROM nonces WHERE key = ?", (key,)).fetchone()
        return row is not None and int(row[0]) > now

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        with self._lock:
            self._db.execute("DELETE FROM nonces WHERE expiry <= ?", (now,))
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO nonces (key, expiry) VALUES (?, ?)", (key, now + ttl)
            )
            return cursor.rowcount == 1

    def close(self) -> None:
        self._db.close()


class RedisNonceCache:
    """Several workers or machines serving one verifier: ``SET NX EX`` in Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str = "permit:nonce:") -> None:
        self._client = client
        self._prefix = prefix

    def seen(self, key: str, *, now: int) -> bool:
        return bool(self._client.exists(self._prefix + key))

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        return bool(self._client.set(self._prefix + key, b"1", nx=True, ex=max(ttl, 1)))
