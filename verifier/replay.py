"""Replay caches for KB-JWT nonces (DESIGN §3): memory, SQLite file and Redis.

Keys are opaque digests of (holder key thumbprint, nonce) computed by :mod:`wire.verify`; no
token or personal data is stored. ``add`` is an atomic check-and-set, so two workers that
verify the same QR at the same moment cannot both accept it.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

__all__ = ["MemoryNonceCache", "RedisNonceCache", "SqliteNonceCache"]


class MemoryNonceCache:
    """One process: a dict of key → expiry, pruned as it grows."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self._expiry: dict[str, int] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def seen(self, key: str, *, now: int) -> bool:
        with self._lock:
            expiry = self._expiry.get(key)
            return expiry is not None and expiry > now

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        with self._lock:
            expiry = self._expiry.get(key)
            if expiry is not None and expiry > now:
                return False
            if len(self._expiry) >= self._max_entries:
                self._expiry = {k: e for k, e in self._expiry.items() if e > now}
            self._expiry[key] = now + ttl
            return True


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
