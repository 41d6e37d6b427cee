"""Employer batch jobs (issue 3 §7): progress counters and per-row errors.

Each row becomes an application tagged ``(batch_id, batch_row)`` (unique), so a job resumed
after a crash skips the rows already written instead of duplicating them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel, json_type

__all__ = ["Batch", "BatchPublic"]


class Batch(IssuerModel, table=True):
    __tablename__ = "batch"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    employer_id: uuid.UUID = Field(foreign_key="employer.id", index=True)
    jurisdiction: str = Field(max_length=32)
    state: str = Field(max_length=16)
    total: int = Field(default=0)
    done: int = Field(default=0)
    failed: int = Field(default=0)
    #: ``[{"row": n, "field": "...", "code": "..."}]``: field names and codes, never values.
    errors: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(json_type(), nullable=False)
    )
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class BatchPublic(IssuerModel):
    id: uuid.UUID
    jurisdiction: str
    state: str
    total: int
    done: int
    failed: int
    errors: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
