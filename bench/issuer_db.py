"""Fresh, migrated issuer databases for the benchmarks, one per measurement.

A temporary SQLite file with the production settings of :mod:`issuer.db` (WAL,
``synchronous=NORMAL``), or a PostgreSQL schema of its own at 127.0.0.1:5432/test, dropped
afterwards. :mod:`bench.issuer` measures on them; :mod:`bench.combined_stack` serves from them.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import Engine

from issuer.db import create_engine_for
from issuer.migrate import upgrade
from issuer.settings import IssuerSettings

POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def sqlite_engine() -> Iterator[tuple[Engine, IssuerSettings]]:
    """A migrated SQLite file in a temporary directory, removed with it."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = IssuerSettings.load(
            environment="test", database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"
        )
        engine = create_engine_for(settings)
        upgrade(engine)
        try:
            yield engine, settings
        finally:
            engine.dispose()


def postgres_reachable() -> bool:
    """Whether the PostgreSQL server answers within 3 s: checked before a run relies on it."""
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


@contextmanager
def postgres_engine() -> Iterator[tuple[Engine, IssuerSettings]]:
    """A migrated schema of its own in the test database, so runs never share rows."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        settings = IssuerSettings.load(
            environment="test",
            database_url=f"{POSTGRES_DSN}?options=-csearch_path%3D{schema}",
        )
        engine = create_engine_for(settings)
        upgrade(engine)
        try:
            yield engine, settings
        finally:
            engine.dispose()
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
