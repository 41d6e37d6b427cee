"""The services' Alembic runner, on a migration directory written by the test.

The probe migration records the server settings it runs under and, on PostgreSQL, runs longer
than the service's ``statement_timeout``: it succeeds only because a migration transaction
lifts that timeout (``SET LOCAL``), while ``lock_timeout`` stays and the lift ends with the
migration.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from servicekit.db import create_engine_for
from servicekit.migrations import Migrations
from tests.databases import POSTGRES_DSN, POSTGRES_URL, postgres_unreachable
from tests.wallet.conftest import make_settings

__all__ = ["postgres_unreachable"]  # a fixture: pytest finds it by its name here

VERSION_TABLE = "probe_alembic_version"
ENV = """
from sqlalchemy import MetaData

from servicekit.migrations import Migrations


def _no_settings():
    raise AssertionError("the runner hands env.py a connection")


Migrations({location!r}, version_table={version_table!r}).run_environment(MetaData(), _no_settings)
"""
PROBE = '''
"""Probe: record the settings a migration runs under; on PostgreSQL, outlast the timeout."""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE probe_seen (statement_timeout text, lock_timeout text)")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "INSERT INTO probe_seen VALUES "
        "(current_setting('statement_timeout'), current_setting('lock_timeout'))"
    )
    op.execute("SELECT pg_sleep(0.5)")


def downgrade():
    op.execute("DROP TABLE probe_seen")
'''


@pytest.fixture
def migrations(tmp_path: Path) -> Migrations:
    location = tmp_path / "probe_migrations"
    (location / "versions").mkdir(parents=True)
    (location / "script.py.mako").write_text("")
    (location / "env.py").write_text(
        ENV.format(location=str(location), version_table=VERSION_TABLE)
    )
    (location / "versions" / "0001_probe.py").write_text(PROBE)
    return Migrations(str(location), version_table=VERSION_TABLE)


@pytest.fixture
def postgres_url(postgres_unreachable: str | None) -> Iterator[str]:
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    schema = f"servicekit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def round_trip(migrations: Migrations, engine: Engine) -> None:
    assert migrations.current_revision(engine) is None
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision() == "0001"
    assert VERSION_TABLE in inspect(engine).get_table_names()
    migrations.downgrade(engine, "base")
    assert migrations.current_revision(engine) is None
    assert "probe_seen" not in inspect(engine).get_table_names()


def test_sqlite_round_trip_with_the_services_version_table(
    migrations: Migrations, tmp_path: Path
) -> None:
    engine = create_engine_for(make_settings(f"sqlite:///{tmp_path / 'probe.db'}"))
    try:
        round_trip(migrations, engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_migration_outlasts_the_statement_timeout_but_not_the_lock_timeout(
    migrations: Migrations, postgres_url: str
) -> None:
    settings = make_settings(
        postgres_url, pg_statement_timeout_seconds=0.1, pg_lock_timeout_seconds=0.05
    )
    engine = create_engine_for(settings)
    try:
        migrations.upgrade(engine)  # pg_sleep(0.5) inside: cancelled after 0.1 s otherwise
        with engine.connect() as connection:
            seen = connection.execute(text("SELECT * FROM probe_seen")).one()
            assert tuple(seen) == ("0", "50ms")
            # The lift ended with the migration's transaction.
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "100ms"
            connection.rollback()
        assert migrations.current_revision(engine) == "0001"
        migrations.downgrade(engine, "base")
        assert migrations.current_revision(engine) is None
    finally:
        engine.dispose()
