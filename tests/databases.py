"""Migrated test databases on both backends, for each service that owns one (issuer, wallet).

``db_url`` is parametrised over SQLite (a fresh file per test, copied from a template migrated
once per session) and PostgreSQL (``127.0.0.1:5432/test``, one schema per test module,
truncated between tests), so every test that touches the database runs on both. Schemas are
always built by the service's Alembic migrations, never by ``create_all``. PostgreSQL tests
are skipped with the reason when the server cannot be reached.

A service's conftest describes its database once (:class:`ServiceDatabase`) and binds the
fixtures :func:`database_fixtures` makes from it to module names, as pytest finds fixtures by
the name they have in the conftest. The services differ only in their settings, migrations
and what an emptied database still holds, so the rules above live here once.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import psycopg
import pytest
from sqlalchemy import MetaData, func, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

__all__ = [
    "BACKENDS",
    "POSTGRES_DSN",
    "POSTGRES_URL",
    "DatabaseFixtures",
    "ServiceDatabase",
    "count_rows",
    "database_fixtures",
    "postgres_unreachable",
    "truncate_tables",
]

POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

SettingsT = TypeVar("SettingsT")


def count_rows(engine: Engine, model: Any, *where: Any) -> int:
    """How many rows of ``model`` (matching ``where``) the database holds right now."""
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


@pytest.fixture(scope="session")
def postgres_unreachable() -> str | None:
    """None when PostgreSQL answers, else the reason to skip."""
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at 127.0.0.1:5432/test is unreachable ({type(exc).__name__})"
    return None


def truncate_tables(conn: Connection, metadata: MetaData) -> None:
    """Empty every table of ``metadata`` and restart its sequences."""
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@dataclass(frozen=True)
class ServiceDatabase(Generic[SettingsT]):
    """What differs between the services' test databases."""

    #: Names the SQLite files and prefixes the PostgreSQL schemas.
    name: str
    #: The service's test settings for a database URL.
    settings_for: Callable[[str], SettingsT]
    engine_for: Callable[[SettingsT], Engine]
    #: The service's Alembic upgrade to head.
    upgrade: Callable[[Engine], None]
    #: Empties a migrated database inside the given transaction, leaving it as the migrations
    #: left it (rows they seed included).
    empty: Callable[[Connection], None]

    def engine(self, url: str) -> Engine:
        return self.engine_for(self.settings_for(url))

    def migrate(self, url: str) -> None:
        engine = self.engine(url)
        try:
            self.upgrade(engine)
        finally:
            engine.dispose()  # the last connection closing checkpoints a SQLite WAL into the file

    def truncate_postgres(self, url: str) -> None:
        """Empty the PostgreSQL schema at ``url`` for the next test of its module."""
        engine = self.engine(url)
        try:
            with engine.begin() as conn:
                self.empty(conn)
        finally:
            engine.dispose()


class DatabaseFixtures(NamedTuple):
    """The fixtures of one service's database, in the order a conftest unpacks them."""

    sqlite_template: object
    postgres_schema_url: object
    db_url: object
    settings: object
    engine: object


def database_fixtures(database: ServiceDatabase[Any]) -> DatabaseFixtures:
    """``db_url`` (module docstring), what it is built from, and the settings and engine on it.

    ``postgres_schema_url`` asks for ``postgres_unreachable``, which the conftest imports from
    this module with the others.
    """

    @pytest.fixture(scope="session")
    def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
        """A SQLite database migrated to head once; each test gets a copy."""
        path = tmp_path_factory.mktemp(f"{database.name}-template") / f"{database.name}.db"
        database.migrate(f"sqlite:///{path}")
        return path

    @pytest.fixture(scope="module")
    def postgres_schema_url(postgres_unreachable: str | None) -> Iterator[str]:
        """A fresh schema for this test module, migrated to head; dropped afterwards."""
        if postgres_unreachable:
            pytest.skip(postgres_unreachable)
        schema = f"{database.name}_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        database.migrate(url)
        yield url
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    @pytest.fixture(params=BACKENDS)
    def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
        """URL of an empty, migrated database on the parametrised backend."""
        if request.param == "sqlite":
            template: Path = request.getfixturevalue("sqlite_template")
            target = tmp_path / f"{database.name}.db"
            shutil.copyfile(template, target)
            return f"sqlite:///{target}"
        url: str = request.getfixturevalue("postgres_schema_url")
        database.truncate_postgres(url)
        return url

    @pytest.fixture
    def settings(db_url: str) -> Any:
        return database.settings_for(db_url)

    @pytest.fixture
    def engine(settings: Any) -> Iterator[Engine]:
        engine = database.engine_for(settings)
        yield engine
        engine.dispose()

    return DatabaseFixtures(sqlite_template, postgres_schema_url, db_url, settings, engine)
