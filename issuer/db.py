"""Database engine, sessions and the one timestamp type, for SQLite and PostgreSQL alike.

SQLite (the default) runs in WAL mode with foreign keys on, and SQLAlchemy emits
``BEGIN IMMEDIATE`` for every transaction: the sqlite3 driver's legacy mode would otherwise start
transactions lazily at the first write, so two processes could both read the audit chain head
and then race to extend it. With ``BEGIN IMMEDIATE`` writers queue on SQLite's single write lock
(up to ``sqlite_busy_timeout_seconds``) and every read inside a transaction is repeatable.
PostgreSQL runs through psycopg 3; rows that must not be updated concurrently are locked with
``SELECT ... FOR UPDATE`` by the code that updates them.

Services never commit: they work inside the caller's transaction (:func:`session_scope` for the
CLI and tests, the request-scoped session of :mod:`issuer.api.deps` for HTTP), so a state move,
its transition row and its audit event are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import DateTime, Dialect, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from issuer.settings import IssuerSettings

__all__ = [
    "PG_CONNECT_TIMEOUT_SECONDS",
    "TZDateTime",
    "core_connection",
    "create_engine_for",
    "ensure_sqlite_directory",
    "session_scope",
    "utcnow",
]

#: Seconds a PostgreSQL connect may take before the request fails (503) instead of hanging.
PG_CONNECT_TIMEOUT_SECONDS: Final = 5


class TZDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (UTC).

    PostgreSQL keeps ``timestamptz``; SQLite has no timezone type, so the UTC wall time is
    stored without an offset and the UTC zone is re-attached on the way out. Naive datetimes
    are refused on the way in: a time without a zone is a bug, not a value to guess about.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: pass a timezone-aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a file-based SQLite database (``./var/`` by default)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine_for(settings: IssuerSettings) -> Engine:
    """An engine for ``settings.database_url``.

    PostgreSQL URLs may carry libpq options, e.g. ``?options=-csearch_path%3Dissuer`` to keep
    the issuer's tables in their own schema (the tests give each module a schema this way).
    Statement parameters are names and ID numbers, so they are kept out of exception texts
    and logs (``hide_parameters``). A pooled PostgreSQL connection is checked before each use
    (``pool_pre_ping``: after a server restart the service recovers by itself), and a connect
    gives up after :data:`PG_CONNECT_TIMEOUT_SECONDS` unless the URL sets ``connect_timeout``
    (a server that accepts and never answers would otherwise hold the request forever). The
    API answers such failures 503 (:mod:`issuer.api.errors`, docs/faults.md).
    """
    url = settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        ensure_sqlite_directory(url)
        engine = create_engine(
            url,
            connect_args={"timeout": settings.sqlite_busy_timeout_seconds},
            hide_parameters=True,
        )
        _configure_sqlite(engine, busy_timeout_ms=int(settings.sqlite_busy_timeout_seconds * 1000))
        return engine
    connect_args = (
        {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
    )
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args)


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver; _on_begin below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def core_connection(session: Session) -> Connection:
    """The session's connection, for prebuilt Core statements on hot paths.

    Executing on the connection skips the ORM's per-statement machinery (about a third of the
    cost of a simple statement on SQLite). Pending ORM changes are flushed first, so the
    statements see them exactly as ``session.execute`` would.
    """
    session.flush()
    return session.connection()


def utcnow() -> datetime:
    """The current time, timezone-aware; the default clock of the service (CONVENTIONS §5)."""
    return datetime.now(UTC)
