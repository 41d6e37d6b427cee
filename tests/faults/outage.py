"""A database outage a test can switch on and off, private to that test, for either backend.

- **PostgreSQL**: the service connects through a :class:`~tests.faults.proxy.CuttableProxy`;
  the outage closes its listener and every live connection (the server died or the network
  went), and can be started from inside a transaction (:meth:`DatabaseOutage.cut_at`), so
  the statement in flight fails mid-transaction.
- **SQLite**: another connection holds ``BEGIN EXCLUSIVE``; every transaction of the service
  (each opens with ``BEGIN IMMEDIATE``, :mod:`issuer.db`) gives up with "database is locked"
  after the busy timeout, which the tests set to :data:`BUSY_TIMEOUT_SECONDS`. A SQLite
  transaction cannot lose its file halfway, so on SQLite the outage is always there before
  the request starts.

Also the checks shared by the outage tests: the 503 a client gets, and what it and a log
reader must not see.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from tests.faults.proxy import CuttableProxy, cuttable_proxy

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "DatabaseOutage",
    "assert_no_personal_data",
    "assert_unavailable",
    "database_outage",
    "log_texts",
    "record_database_errors",
]

#: The services' SQLite busy timeout in these tests: how long a locked request waits.
BUSY_TIMEOUT_SECONDS: Final = 0.2
POSTGRES_ADDRESS: Final = ("127.0.0.1", 5432)
#: What no 503 body may contain: where the database is, what it runs, SQL.
_INTERNALS: Final = re.compile(
    r"127\.0\.0\.1|5432|postgres|psycopg|sqlite|sqlalchemy|\bselect\b|\binsert\b|\bupdate\b"
    r"|\[sql|parameters",
    re.IGNORECASE,
)


@dataclass
class DatabaseOutage:
    """Switches the database away from one service (module docstring)."""

    backend: str
    url: str
    proxy: CuttableProxy | None = None
    sqlite_path: str | None = None
    _locker: sqlite3.Connection | None = field(default=None, repr=False)

    @property
    def mid_transaction(self) -> bool:
        """True when :meth:`cut_at` can fail a transaction halfway (PostgreSQL)."""
        return self.proxy is not None

    def cut(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            return
        assert self.sqlite_path is not None
        assert self._locker is None
        self._locker = sqlite3.connect(self.sqlite_path, isolation_level=None)
        self._locker.execute("BEGIN EXCLUSIVE")

    def restore(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
            return
        assert self._locker is not None
        self._locker.execute("ROLLBACK")
        self._locker.close()
        self._locker = None

    def blackhole(self) -> None:
        """PostgreSQL only: connections are accepted and never answered."""
        assert self.proxy is not None
        self.proxy.blackhole()

    @contextlib.contextmanager
    def cut_at(self, engine: Engine, statement: str) -> Iterator[list[str]]:
        """Cut the database just before ``engine`` runs a statement starting with
        ``statement`` (PostgreSQL), or before the block (SQLite). Yields the statements the
        engine ran before the cut, so a test can show the transaction had written already."""
        ran: list[str] = []
        proxy = self.proxy
        if proxy is None:
            self.cut()
            yield ran
            return

        def before(
            _conn: Connection, _cursor: Any, text: str, _params: Any, _ctx: Any, _many: bool
        ) -> None:
            if not proxy.listening:
                return  # already cut
            if text.startswith(statement):
                proxy.cut()
            else:
                ran.append(text)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield ran
        finally:
            event.remove(engine, "before_cursor_execute", before)


@contextlib.contextmanager
def database_outage(db_url: str) -> Iterator[DatabaseOutage]:
    """An outage switch for the database at ``db_url`` (a SQLite file or the PostgreSQL
    schema of the test); the service must use :attr:`DatabaseOutage.url`."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        outage = DatabaseOutage("sqlite", db_url, sqlite_path=url.database)
        try:
            yield outage
        finally:
            if outage._locker is not None:
                outage.restore()
        return
    with cuttable_proxy(POSTGRES_ADDRESS) as proxy:
        # connect_timeout: the blackhole test waits for it (libpq's minimum is 2 s).
        proxied = url.set(port=proxy.port).update_query_dict({"connect_timeout": "2"})
        yield DatabaseOutage("postgresql", proxied.render_as_string(hide_password=False), proxy)


@contextlib.contextmanager
def record_database_errors(engine: Engine) -> Iterator[list[str]]:
    """The text of every exception the engine raises in the block, as code would log it."""
    texts: list[str] = []

    def on_error(context: Any) -> None:
        texts.append(str(context.sqlalchemy_exception or context.original_exception))

    event.listen(engine, "handle_error", on_error)
    try:
        yield texts
    finally:
        event.remove(engine, "handle_error", on_error)


def assert_no_personal_data(texts: Iterable[str], *personal: str) -> None:
    """No text holds any of the personal values (names, ID numbers, passwords)."""
    for text in texts:
        for value in personal:
            assert value not in text, text


def assert_unavailable(response: Any, *personal: str) -> None:
    """A 503 ``service_unavailable`` problem with ``Retry-After``, saying nothing about the
    database (host, port, product, SQL) and holding no personal value."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert (body["status"], body["code"]) == (503, "service_unavailable")
    assert not _INTERNALS.search(response.text), response.text
    assert_no_personal_data([response.text], *personal)


def log_texts(records: Iterable[logging.LogRecord]) -> list[str]:
    """Each record's message and, if it has one, its formatted traceback."""
    formatter = logging.Formatter()
    texts = []
    for record in records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append(formatter.formatException(record.exc_info))
    return texts
