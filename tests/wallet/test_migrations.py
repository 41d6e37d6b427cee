"""The Alembic migrations build exactly the models' schema, and go down again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from wallet_api.migrate import VERSION_TABLE, current_revision, downgrade, head_revision, upgrade
from wallet_api.models import metadata


def test_schema_matches_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, metadata) if VERSION_TABLE not in str(d)]
    assert diff == []


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    downgrade(engine, "base")
    tables = set(inspect(engine).get_table_names())
    assert not {t for t in tables if t.startswith("wallet_") and t != VERSION_TABLE}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
