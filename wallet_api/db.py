"""Database engine, sessions and the timestamp type of the wallet, for SQLite and PostgreSQL.

The wallet has its own database (it never shares code or tables with the issuer, DESIGN §1).
SQLite (the default) runs in WAL mode with foreign keys on and ``BEGIN IMMEDIATE`` for every
transaction, so two workers never both read-then-write the same row. Services never commit:
they work inside the caller's transaction (:func:`session_scope` or the request session).
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

from wallet_api.settings import WalletSettings

__all__ = [
    "PG_CONNECT_TIMEOUT_SECONDS",
    "TZDateTime",
    "create_engine_for",
    "session_scope",
    "utcnow",
]

#: Seconds a PostgreSQL connect may take before the request fails (503) instead of hanging.
PG_CONNECT_TIMEOUT_SECONDS: Final = 5


class TZDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and read back timezone-aware; naive datetimes are refused."""

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


def create_engine_for(settings: WalletSettings) -> Engine:
    """An engine for ``settings.database_url`` (PostgreSQL may carry ``?options=-csearch_path``).

    As the issuer's (:func:`issuer.db.create_engine_for`, docs/faults.md): statement
    parameters stay out of exception texts and logs, pooled PostgreSQL connections are checked
    before use, and a connect gives up after :data:`PG_CONNECT_TIMEOUT_SECONDS` unless the URL
    sets ``connect_timeout``; the API answers 503 (:mod:`wallet_api.api.errors`).
    """
    url = settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args = (
            {}
            if "connect_timeout" in parsed.query
            else {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
        )
        return create_engine(
            url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args
        )
    if parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": settings.sqlite_busy_timeout_seconds}, hide_parameters=True
    )
    busy_ms = int(settings.sqlite_busy_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # _on_begin below emits BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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
    """The current time, timezone-aware: the default clock (CONVENTIONS §5)."""
    return datetime.now(UTC)
