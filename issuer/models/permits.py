"""Permits and the credentials issued for them (DESIGN §2, issue 3 §4-5).

A permit is the legal object (number, class, endorsement); a credential is one signed SD-JWT VC
of it. A permit has several live credentials at once: issuance may hand out a small batch of
copies for unlinkable presentations, and after a renewal or change the previous credential
stays valid until ``grace_until``. "Current" credentials are therefore those with
``retired_at`` unset, and a suspend/revoke flips the status entry of every one of them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel

__all__ = ["Credential", "CredentialPublic", "Permit", "PermitPublic", "PermitSequence"]


class PermitBase(IssuerModel):
    jurisdiction: str = Field(max_length=32)
    permit_no: str = Field(max_length=32, unique=True)
    permit_class: str = Field(max_length=16)
    issuing_authority: str = Field(max_length=100)
    #: Date the holder's first permit in this city was issued (DESIGN §2 ``first_issued``).
    first_issued: date
    #: Current endorsement (签注) end; the credential's ``exp`` is the end of this day (CST).
    endorsed_until: date
    state: str = Field(max_length=16)


class Permit(PermitBase, table=True):
    __tablename__ = "permit"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'suspended', 'revoked', 'expired')", name="state"),
        CheckConstraint("permit_class IN ('temporary', 'standard', 'talent')", name="class"),
        Index(
            "ix_permit_jurisdiction_state_endorsed_until", "jurisdiction", "state", "endorsed_until"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="application.id", unique=True)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)
    #: The residence address after a change of data (``POST /v1/permits/{id}/change``); all
    #: three are None while the address is still the one of the application.
    residence_region_code: str | None = Field(default=None, max_length=6)
    residence_district: str | None = Field(default=None, max_length=64)
    residence_street: str | None = Field(default=None, max_length=200)


class PermitSequence(IssuerModel, table=True):
    """Last permit number handed out per prefix (region code + year).

    Incremented with one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: atomic on SQLite
    and PostgreSQL alike, and the row lock it takes is held to the end of the issuing
    transaction, so a rolled-back issuance cannot leave two permits with one number.
    """

    __tablename__ = "permit_sequence"

    prefix: str = Field(max_length=16, primary_key=True)
    last: int


class PermitPublic(PermitBase):
    id: uuid.UUID
    application_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class Credential(IssuerModel, table=True):
    """One issued SD-JWT VC. The signed token itself is not stored: the wallet holds it."""

    __tablename__ = "credential"
    __table_args__ = (
        # The (list, index) pair must have been allocated, and belongs to one credential only.
        ForeignKeyConstraint(
            ["status_list_id", "status_idx"],
            ["status_allocation.list_id", "status_allocation.idx"],
        ),
        UniqueConstraint("status_list_id", "status_idx"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    permit_id: uuid.UUID = Field(foreign_key="permit.id", index=True)
    status_list_id: int
    status_idx: int
    #: RFC 7638 thumbprint of the ``cnf`` key; None for a printable (paper) credential.
    holder_jkt: str | None = Field(default=None, max_length=64)
    iat: datetime = Field(sa_type=TZDateTime)
    exp: datetime = Field(sa_type=TZDateTime)
    #: Set when a renewal or change superseded this credential.
    retired_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    #: A retired credential stays VALID until then; afterwards its status entry is set INVALID.
    grace_until: datetime | None = Field(default=None, sa_type=TZDateTime)
    created_at: datetime = Field(sa_type=TZDateTime)


class CredentialPublic(IssuerModel):
    id: uuid.UUID
    permit_id: uuid.UUID
    iat: datetime
    exp: datetime
    retired_at: datetime | None
    grace_until: datetime | None
