"""Initial issuer schema: officers, employers, applications, permits, credentials, status
lists, offers, batches, transitions and the hash-chained audit log.

Besides the tables this revision seeds the audit chain head (seq 0, the genesis hash) and makes
``audit_event`` append-only in the database itself: triggers refuse UPDATE and DELETE (and
TRUNCATE on PostgreSQL), so even code with write access to the database cannot quietly edit
history; ``permit audit verify`` catches anyone who drops the triggers first.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_GENESIS_HASH = "0" * 64

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
)
_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", _TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("refs", _JSON, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "employer",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_employer_api_key_hash")),
    )
    op.create_table(
        "officer",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "role IN ('clerk', 'supervisor', 'auditor')", name=op.f("ck_officer_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer")),
    )
    op.create_index(op.f("ix_officer_username"), "officer", ["username"], unique=True)

    op.create_table(
        "status_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=500), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("etag", sa.String(length=64), nullable=True),
        sa.Column("built_at", _TIMESTAMP, nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint("bits IN (1, 2, 4, 8)", name=op.f("ck_status_list_bits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_list")),
        sa.UniqueConstraint("uri", name=op.f("uq_status_list_uri")),
    )
    op.create_table(
        "transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", _TIMESTAMP, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transition")),
    )
    op.create_index(
        "ix_transition_entity_entity_id", "transition", ["entity", "entity_id"], unique=False
    )

    op.create_table(
        "batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employer_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", _JSON, nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_batch_state")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employer.id"], name=op.f("fk_batch_employer_id_employer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch")),
    )
    op.create_index(op.f("ix_batch_employer_id"), "batch", ["employer_id"], unique=False)

    op.create_table(
        "status_allocation",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("allocated_at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "status >= 0 AND status <= 255", name=op.f("ck_status_allocation_status")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_list.id"], name=op.f("fk_status_allocation_list_id_status_list")
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_status_allocation")),
    )
    op.create_table(
        "application",
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("hukou_address", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("residence_region_code", sa.String(length=6), nullable=False),
        sa.Column("residence_district", sa.String(length=64), nullable=False),
        sa.Column("residence_street", sa.String(length=200), nullable=False),
        sa.Column("facts", _JSON, nullable=False),
        sa.Column("decision", _JSON, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status_token_hash", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("batch_row", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint("sex IN ('M', 'F')", name=op.f("ck_application_sex")),
        sa.CheckConstraint(
            "state IN ('submitted', 'approved', 'rejected', 'issued')",
            name=op.f("ck_application_state"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batch.id"], name=op.f("fk_application_batch_id_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint(
            "batch_id", "batch_row", name=op.f("uq_application_batch_id_batch_row")
        ),
    )
    op.create_index(op.f("ix_application_batch_id"), "application", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_application_jurisdiction"), "application", ["jurisdiction"], unique=False
    )
    op.create_index(
        "ix_application_jurisdiction_state_created_at",
        "application",
        ["jurisdiction", "state", "created_at"],
        unique=False,
    )

    op.create_table(
        "permit",
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("permit_no", sa.String(length=32), nullable=False),
        sa.Column("permit_class", sa.String(length=16), nullable=False),
        sa.Column("issuing_authority", sa.String(length=100), nullable=False),
        sa.Column("first_issued", sa.Date(), nullable=False),
        sa.Column("endorsed_until", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "permit_class IN ('temporary', 'standard', 'talent')", name=op.f("ck_permit_class")
        ),
        sa.CheckConstraint(
            "state IN ('active', 'suspended', 'revoked', 'expired')", name=op.f("ck_permit_state")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_permit_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit")),
        sa.UniqueConstraint("application_id", name=op.f("uq_permit_application_id")),
        sa.UniqueConstraint("permit_no", name=op.f("uq_permit_permit_no")),
    )
    op.create_index(
        "ix_permit_jurisdiction_state_endorsed_until",
        "permit",
        ["jurisdiction", "state", "endorsed_until"],
        unique=False,
    )

    op.create_table(
        "credential",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("permit_id", sa.Uuid(), nullable=False),
        sa.Column("status_list_id", sa.Integer(), nullable=False),
        sa.Column("status_idx", sa.Integer(), nullable=False),
        sa.Column("holder_jkt", sa.String(length=64), nullable=True),
        sa.Column("iat", _TIMESTAMP, nullable=False),
        sa.Column("exp", _TIMESTAMP, nullable=False),
        sa.Column("retired_at", _TIMESTAMP, nullable=True),
        sa.Column("grace_until", _TIMESTAMP, nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permit.id"], name=op.f("fk_credential_permit_id_permit")
        ),
        sa.ForeignKeyConstraint(
            ["status_list_id", "status_idx"],
            ["status_allocation.list_id", "status_allocation.idx"],
            name=op.f("fk_credential_status_list_id_status_idx_status_allocation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
        sa.UniqueConstraint(
            "status_list_id", "status_idx", name=op.f("uq_credential_status_list_id_status_idx")
        ),
    )
    op.create_index(op.f("ix_credential_permit_id"), "credential", ["permit_id"], unique=False)

    op.create_table(
        "credential_offer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("permit_id", sa.Uuid(), nullable=True),
        sa.Column("pre_authorized_code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=255), nullable=True),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("redeemed", sa.Boolean(), nullable=False),
        sa.Column("redeemed_at", _TIMESTAMP, nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_credential_offer_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permit.id"], name=op.f("fk_credential_offer_permit_id_permit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offer")),
        sa.UniqueConstraint(
            "pre_authorized_code_hash", name=op.f("uq_credential_offer_pre_authorized_code_hash")
        ),
    )
    op.create_index(
        op.f("ix_credential_offer_application_id"),
        "credential_offer",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_credential_offer_permit_id"), "credential_offer", ["permit_id"], unique=False
    )
    _seed_audit_head()
    _make_audit_append_only()


def _seed_audit_head() -> None:
    head = sa.table(
        "audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("hash")
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": _GENESIS_HASH}])


def _make_audit_append_only() -> None:
    dialect = op.get_bind().dialect.name
    statements = _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    for table in (
        "credential_offer",
        "credential",
        "permit",
        "application",
        "status_allocation",
        "batch",
        "transition",
        "status_list",
        "officer",
        "employer",
        "audit_head",
        "audit_event",
    ):
        op.drop_table(table)
