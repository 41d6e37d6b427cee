"""Alembic migrations produce exactly the tables the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from issuer import migrate
from issuer.models import metadata

TABLES = {
    "alembic_version",
    "access_token",
    "application",
    "audit_event",
    "audit_head",
    "batch",
    "batch_upload",
    "c_nonce",
    "credential",
    "credential_offer",
    "employer",
    "officer",
    "permit",
    "permit_sequence",
    "status_allocation",
    "status_list",
    "transition",
}


def diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_head_matches_the_models(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) == TABLES
    assert diff(engine) == []
    assert migrate.current_revision(engine) == migrate.head_revision() == "0003_issuance"


def test_audit_chain_head_is_seeded(engine: Engine) -> None:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, seq, hash FROM audit_head")).one()
    assert tuple(row) == (1, 0, "0" * 64)


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert diff(engine) == []
    assert migrate.current_revision(engine) == migrate.head_revision()
