"""Database engine, sessions and the one timestamp type of the issuer, for SQLite and PostgreSQL.

The engine is the services' common one (:mod:`servicekit.db`, which explains SQLite's
``BEGIN IMMEDIATE`` and every PostgreSQL bound: connect timeout, ``statement_timeout``,
``lock_timeout``, TCP keepalives); this module keeps the names the issuer has always imported
and the issuer's own Core helper. PostgreSQL rows that must not be updated concurrently are
locked with ``SELECT ... FOR UPDATE`` by the code that updates them.

Services never commit: they work inside the caller's transaction (:func:`session_scope` for the
CLI and tests, the request-scoped session of :mod:`issuer.api.deps` for HTTP), so a state move,
its transition row and its audit event are written together or not at all.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlmodel import Session

from servicekit.db import (
    PG_CONNECT_TIMEOUT_SECONDS,
    TZDateTime,
    create_engine_for,
    ensure_sqlite_directory,
    session_scope,
    utcnow,
)

__all__ = [
    "PG_CONNECT_TIMEOUT_SECONDS",
    "TZDateTime",
    "core_connection",
    "create_engine_for",
    "ensure_sqlite_directory",
    "session_scope",
    "utcnow",
]


def core_connection(session: Session) -> Connection:
    """The session's connection, for prebuilt Core statements on hot paths.

    Executing on the connection skips the ORM's per-statement machinery (about a third of the
    cost of a simple statement on SQLite). Pending ORM changes are flushed first, so the
    statements see them exactly as ``session.execute`` would.
    """
    session.flush()
    return session.connection()
