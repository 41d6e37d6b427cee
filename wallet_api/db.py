"""Database engine, sessions and the timestamp type of the wallet, for SQLite and PostgreSQL.

The wallet has its own database (it never shares tables with the issuer, DESIGN §1); the engine
is the services' common one (:mod:`servicekit.db`: SQLite in WAL mode with ``BEGIN IMMEDIATE``
for every transaction, PostgreSQL bounded by its connect, statement and lock timeouts and TCP
keepalives). Services never commit: they work inside the caller's transaction
(:func:`session_scope` or the request session).
"""

from __future__ import annotations

from servicekit.db import (
    PG_CONNECT_TIMEOUT_SECONDS,
    TZDateTime,
    create_engine_for,
    session_scope,
    utcnow,
)

__all__ = [
    "PG_CONNECT_TIMEOUT_SECONDS",
    "TZDateTime",
    "create_engine_for",
    "session_scope",
    "utcnow",
]
