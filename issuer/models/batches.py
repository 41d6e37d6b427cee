"""Employer batch jobs (issue 3 §7): progress counters, per-row errors and the stored upload.

Each row becomes an application tagged ``(batch_id, batch_row)`` (unique), so a job resumed
after a crash skips the rows already written instead of duplicating them. The upload itself is
kept in :class:`BatchUpload` (not on disk) so that any issuer process sharing the database can
resume the job, and the upload and its ``batch`` row are committed together or not at all. The
upload holds personal data, so it is deleted when the job finishes: from then on the
applications are the record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, LargeBinary
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel, json_type

__all__ = [
    "Batch",
    "BatchAccepted",
    "BatchApplication",
    "BatchPublic",
    "BatchStatus",
    "BatchUpload",
]


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


class BatchUpload(IssuerModel, table=True):
    """The raw upload of an unfinished batch (UTF-8, byte-order mark removed)."""

    __tablename__ = "batch_upload"
    __table_args__ = (CheckConstraint("format IN ('csv', 'json')", name="format"),)

    batch_id: uuid.UUID = Field(foreign_key="batch.id", primary_key=True)
    format: str = Field(max_length=8)
    content: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    #: SHA-256 (hex) of ``content``: a resumed job refuses an upload that changed under it.
    sha256: str = Field(max_length=64)


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


class BatchAccepted(IssuerModel):
    """Answer to an upload (202): the job exists and will be processed in the background."""

    id: uuid.UUID
    state: str
    total: int
    status_url: str


class BatchApplication(IssuerModel):
    """Which application a row became; ids and the eligibility outcome, no personal data."""

    row: int
    application_id: uuid.UUID
    outcome: str


class BatchStatus(BatchPublic):
    """Progress of a batch; ``applications`` is filled once the job is ``done``."""

    #: True when rows failed beyond the stored error list (``failed`` counts them all).
    errors_truncated: bool
    applications: list[BatchApplication] | None = None
