"""Employer batches: keep the raw upload of an unfinished batch in the database.

A batch job must survive a crash (kill -9) of the process running it: on restart the job is
re-read from its upload and continues after the last committed row. Keeping the upload in the
database rather than on local disk means the upload and its ``batch`` row are committed
together, and any issuer process sharing the database can resume the job. The row is deleted
when the job finishes.

Revision ID: 0002_batches
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_batches"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batch_upload",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint("format IN ('csv', 'json')", name=op.f("ck_batch_upload_format")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batch.id"], name=op.f("fk_batch_upload_batch_id_batch")
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_batch_upload")),
    )


def downgrade() -> None:
    op.drop_table("batch_upload")
