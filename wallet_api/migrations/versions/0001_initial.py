"""Wallet schema: accounts, sessions, login failures, offer redemptions, permits, encrypted
credential copies, helper grants and the disclosure history.

Revision ID: 0001_wallet_initial
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_wallet_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)


def _fk(name: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    table = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{name}_{column}_{table}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "wallet_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_account"),
    )
    op.create_index("ix_wallet_account_username", "wallet_account", ["username"], unique=True)
    op.create_table(
        "wallet_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        _fk("wallet_session", "account_id", "wallet_account.id"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_wallet_session"),
    )
    op.create_index("ix_wallet_session_account_id", "wallet_session", ["account_id"])
    op.create_index("ix_wallet_session_expires_at", "wallet_session", ["expires_at"])
    op.create_table(
        "wallet_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_login_failure"),
    )
    op.create_index("ix_wallet_login_failure_key_hash", "wallet_login_failure", ["key_hash"])
    op.create_table(
        "wallet_offer_redemption",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reserved_at", _TIMESTAMP, nullable=False),
        sa.Column("redeemed_at", _TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'redeemed')", name="ck_wallet_offer_redemption_state"
        ),
        _fk("wallet_offer_redemption", "account_id", "wallet_account.id"),
        sa.PrimaryKeyConstraint("code_hash", name="pk_wallet_offer_redemption"),
    )
    op.create_index(
        "ix_wallet_offer_redemption_account_id", "wallet_offer_redemption", ["account_id"]
    )
    op.create_table(
        "wallet_permit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=2048), nullable=False),
        sa.Column("permit_ref", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
        _fk("wallet_permit", "account_id", "wallet_account.id"),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_permit"),
        sa.UniqueConstraint(
            "account_id", "permit_ref", name="uq_wallet_permit_account_id_permit_ref"
        ),
    )
    op.create_index("ix_wallet_permit_account_id", "wallet_permit", ["account_id"])
    op.create_table(
        "wallet_credential",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("permit_id", sa.Uuid(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("paper", sa.Boolean(), nullable=False),
        sa.Column("holder_key", sa.LargeBinary(), nullable=True),
        sa.Column("credential", sa.LargeBinary(), nullable=False),
        sa.Column("exp", _TIMESTAMP, nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        _fk("wallet_credential", "permit_id", "wallet_permit.id"),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_credential"),
        sa.UniqueConstraint(
            "permit_id", "paper", "slot", name="uq_wallet_credential_permit_id_paper_slot"
        ),
    )
    op.create_index("ix_wallet_credential_permit_id", "wallet_credential", ["permit_id"])
    op.create_table(
        "wallet_helper_grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("helper_id", sa.Uuid(), nullable=False),
        sa.Column("permit_id", sa.Uuid(), nullable=True),
        sa.Column("profiles", sa.String(length=512), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("revoked_at", _TIMESTAMP, nullable=True),
        _fk("wallet_helper_grant", "holder_id", "wallet_account.id"),
        _fk("wallet_helper_grant", "helper_id", "wallet_account.id"),
        _fk("wallet_helper_grant", "permit_id", "wallet_permit.id"),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_helper_grant"),
    )
    for column in ("holder_id", "helper_id", "permit_id"):
        op.create_index(f"ix_wallet_helper_grant_{column}", "wallet_helper_grant", [column])
    op.create_table(
        "wallet_disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=True),
        sa.Column("permit_id", sa.Uuid(), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=2048), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", _TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "channel IN ('qr', 'qr_png', 'qr_svg', 'direct_post', 'request_qr', 'paper')",
            name="ck_wallet_disclosure_channel",
        ),
        _fk("wallet_disclosure", "holder_id", "wallet_account.id"),
        _fk("wallet_disclosure", "actor_id", "wallet_account.id"),
        _fk("wallet_disclosure", "grant_id", "wallet_helper_grant.id", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_disclosure"),
    )
    for column in ("holder_id", "actor_id", "grant_id", "at"):
        op.create_index(f"ix_wallet_disclosure_{column}", "wallet_disclosure", [column])


def downgrade() -> None:
    for table in (
        "wallet_disclosure",
        "wallet_helper_grant",
        "wallet_credential",
        "wallet_permit",
        "wallet_offer_redemption",
        "wallet_login_failure",
        "wallet_session",
        "wallet_account",
    ):
        op.drop_table(table)
