"""Database engines for the issuer and the wallet: SQLite or PostgreSQL, never holding a request
forever.

SQLite runs in WAL mode with foreign keys on, and SQLAlchemy emits ``BEGIN IMMEDIATE`` for
every transaction: the sqlite3 driver's legacy mode would otherwise start transactions lazily
at the first write, so two processes could both read a row (the audit chain head, a session)
and then race to write it. With ``BEGIN IMMEDIATE`` writers queue on SQLite's single write lock
(up to ``sqlite_busy_timeout_seconds``) and every read inside a transaction is repeatable.

PostgreSQL runs through psycopg 3, and every way it could hold a request is bounded
(docs/faults.md §3):

- connecting: ``connect_timeout`` (:data:`PG_CONNECT_TIMEOUT_SECONDS`);
- a statement that never finishes — a runaway query, a lock held by another transaction, a
  server that stalls while it still runs — is cancelled by the server after
  ``pg_statement_timeout_seconds`` (``statement_timeout``), a lock wait already after
  ``pg_lock_timeout_seconds`` (``lock_timeout``), both set on every new connection;
- a dead network path (the host gone, a firewall dropping the flow), where no answer and no
  error would ever arrive: TCP keepalives and ``tcp_user_timeout`` (:data:`PG_TCP_ARGS`) make
  the client's kernel give up on the connection.

Whatever the URL sets itself wins: libpq parameters in its query (``connect_timeout``,
``keepalives_idle``, ...) and ``-c statement_timeout=`` / ``-c lock_timeout=`` in its
``options``. The URL's ``options`` (``-csearch_path=...``) are never replaced. Each of these
failures is a SQLAlchemy ``OperationalError`` (psycopg's ``QueryCanceled``, SQLSTATE 57014, and
``LockNotAvailable``, 55P03, included), one of :data:`DATABASE_UNAVAILABLE`, which the services
answer 503 with ``Retry-After`` and their background workers treat as transient.

Services never commit: they work inside the caller's transaction (:func:`session_scope`, or the
request-scoped session of the API), so a state move and its audit record are written together
or not at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import DateTime, Dialect, event
from sqlalchemy import exc as db_errors
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from servicekit.settings import DatabaseSettings

__all__ = [
    "DATABASE_UNAVAILABLE",
    "PG_CONNECT_TIMEOUT_SECONDS",
    "PG_TCP_ARGS",
    "TZDateTime",
    "create_engine_for",
    "ensure_sqlite_directory",
    "postgresql_connect_args",
    "postgresql_session_settings",
    "session_scope",
    "utcnow",
]

#: Seconds a PostgreSQL connect may take before the request fails (503) instead of hanging.
PG_CONNECT_TIMEOUT_SECONDS: Final = 5
#: libpq's TCP settings for every PostgreSQL connection. An idle connection — one waiting for
#: a statement's answer included — is probed after 10 s, then every 5 s; and data or probes left
#: unacknowledged for 30 s (``tcp_user_timeout``, milliseconds; on Linux it also ends the
#: keepalive probing) close the connection. So a dead network path fails the statement after
#: about 30 s instead of never. A peer whose kernel still answers is not dead to TCP: that case
#: is the server's ``statement_timeout``'s.
PG_TCP_ARGS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 30_000,
    }
)
#: SQLAlchemy's errors for "the database is not there right now" rather than "this request is
#: wrong": unreachable or restarting server, a connection lost mid-transaction, an exhausted
#: pool, SQLite's write lock still taken after the busy timeout, a PostgreSQL statement
#: cancelled by ``statement_timeout`` or ``lock_timeout`` (psycopg raises those as
#: ``OperationalError`` subclasses, so SQLAlchemy wraps them as ``OperationalError``).
DATABASE_UNAVAILABLE: Final = (
    db_errors.OperationalError,
    db_errors.DisconnectionError,
    db_errors.TimeoutError,
)


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


def create_engine_for(settings: DatabaseSettings) -> Engine:
    """An engine for ``settings.database_url``, bounded as the module docstring says.

    PostgreSQL URLs may carry libpq options, e.g. ``?options=-csearch_path%3Dissuer`` to keep a
    service's tables in their own schema (the tests give each module a schema this way).
    Statement parameters are names and ID numbers, so they are kept out of exception texts and
    logs (``hide_parameters``). A pooled PostgreSQL connection is checked before each use
    (``pool_pre_ping``: after a server restart the service recovers by itself).
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
        busy_ms = _milliseconds(settings.sqlite_busy_timeout_seconds)
        _configure_sqlite(engine, busy_timeout_ms=busy_ms)
        return engine
    engine = create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args=postgresql_connect_args(parsed.query),
    )
    _configure_postgresql(engine, postgresql_session_settings(settings, parsed.query))
    return engine


def postgresql_connect_args(query: Mapping[str, Any]) -> dict[str, int]:
    """libpq connection parameters to add: :data:`PG_CONNECT_TIMEOUT_SECONDS` and
    :data:`PG_TCP_ARGS`, less every one the URL's ``query`` sets itself (the URL wins)."""
    wanted = {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS, **PG_TCP_ARGS}
    return {name: value for name, value in wanted.items() if name not in query}


def postgresql_session_settings(
    settings: DatabaseSettings, query: Mapping[str, Any]
) -> dict[str, str]:
    """The server settings every new connection gets (``statement_timeout``, ``lock_timeout``
    in milliseconds; 0 is off), less those the URL's libpq ``options`` already set."""
    options = query.get("options", "")
    given = " ".join(options) if isinstance(options, tuple) else str(options)
    wanted = {
        "statement_timeout": f"{_milliseconds(settings.pg_statement_timeout_seconds)}ms",
        "lock_timeout": f"{_milliseconds(settings.pg_lock_timeout_seconds)}ms",
    }
    return {
        name: value
        for name, value in wanted.items()
        # libpq options: "-c name=value", "-cname=value" or "--name=value".
        if not re.search(rf"(?:-c\s*|--){name}=", given)
    }


def _milliseconds(seconds: float) -> int:
    """Whole milliseconds, rounded up so a positive timeout never becomes 0 (= off)."""
    return math.ceil(round(seconds * 1000, 6))


def _configure_postgresql(engine: Engine, session_settings: Mapping[str, str]) -> None:
    if not session_settings:
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A SET, not libpq ``options``: the URL's options (search_path) stay untouched.
        # Session-level (is_local false), and committed, so it outlives this first transaction;
        # the pool's reset on return is a ROLLBACK, which keeps it.
        with dbapi_connection.cursor() as cursor:
            for name, value in session_settings.items():
                cursor.execute("SELECT set_config(%s, %s, false)", (name, value))
        dbapi_connection.commit()


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


def utcnow() -> datetime:
    """The current time, timezone-aware; the default clock of the services (CONVENTIONS §5)."""
    return datetime.now(UTC)
