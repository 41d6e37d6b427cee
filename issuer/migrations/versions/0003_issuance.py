"""Issuance over OpenID4VCI, status publishing, renewal and change of data.

Adds the access tokens and ``c_nonce`` values of the token and nonce endpoints (hashes only),
the permit-number sequence, an offer's purpose, PIN-failure counter and voiding time, a
permit's changed residence address, and what the status publisher needs per list: how many
entries are allocated, when the served token expires and which key signed it. Also an index for
the ``first_issued`` lookup (a person's earlier permits in a jurisdiction).

Revision ID: 0003_issuance
Revises: 0002_batches
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_issuance"
down_revision: str | None = "0002_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("credential_offer") as batch:
        batch.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="issue")
        )
        batch.add_column(
            sa.Column("tx_code_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("voided_at", _TIMESTAMP, nullable=True))
        batch.create_check_constraint(
            "purpose", "purpose IN ('issue', 'renew', 'change', 'reissue')"
        )
    with op.batch_alter_table("permit") as batch:
        batch.add_column(sa.Column("residence_region_code", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("residence_district", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("residence_street", sa.String(length=200), nullable=True))
    with op.batch_alter_table("status_list") as batch:
        batch.add_column(sa.Column("allocated", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("token_exp", _TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("kid", sa.String(length=128), nullable=True))
    op.create_index(
        "ix_application_id_number_jurisdiction",
        "application",
        ["id_number", "jurisdiction"],
        unique=False,
    )
    op.create_table(
        "access_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("used_at", _TIMESTAMP, nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["credential_offer.id"],
            name=op.f("fk_access_token_offer_id_credential_offer"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_access_token")),
    )
    op.create_index(op.f("ix_access_token_expires_at"), "access_token", ["expires_at"])
    op.create_index(op.f("ix_access_token_offer_id"), "access_token", ["offer_id"])
    op.create_table(
        "c_nonce",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_c_nonce")),
    )
    op.create_index(op.f("ix_c_nonce_expires_at"), "c_nonce", ["expires_at"])
    op.create_table(
        "permit_sequence",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_permit_sequence")),
    )


def downgrade() -> None:
    op.drop_table("permit_sequence")
    op.drop_index(op.f("ix_c_nonce_expires_at"), table_name="c_nonce")
    op.drop_table("c_nonce")
    op.drop_index(op.f("ix_access_token_offer_id"), table_name="access_token")
    op.drop_index(op.f("ix_access_token_expires_at"), table_name="access_token")
    op.drop_table("access_token")
    op.drop_index("ix_application_id_number_jurisdiction", table_name="application")
    with op.batch_alter_table("status_list") as batch:
        batch.drop_column("kid")
        batch.drop_column("token_exp")
        batch.drop_column("allocated")
    with op.batch_alter_table("permit") as batch:
        batch.drop_column("residence_street")
        batch.drop_column("residence_district")
        batch.drop_column("residence_region_code")
    with op.batch_alter_table("credential_offer") as batch:
        batch.drop_constraint(op.f("ck_credential_offer_purpose"), type_="check")
        batch.drop_column("voided_at")
        batch.drop_column("tx_code_failures")
        batch.drop_column("purpose")
