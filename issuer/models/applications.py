"""Applications for a residence permit: identity (DESIGN §2), stated facts and the decision.

People apply online with the identity fields of the credential plus the eligibility facts of
issue 3 §2; no paper materials. The residence address is a nested object on the wire and three
columns in the table. ``status_token_hash`` (the applicant's status-check secret) exists only
on the table model.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as WireField
from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel, json_type

__all__ = [
    "Application",
    "ApplicationBase",
    "ApplicationCreate",
    "ApplicationPublic",
    "ApplicationReceipt",
    "ApplicationStatusPublic",
    "ResidenceAddress",
    "id_number_checksum_ok",
]

_ID_NUMBER: Final = re.compile(r"^[0-9]{17}[0-9X]$")
_REGION_CODE: Final = re.compile(r"^[1-9][0-9]{5}$")
_ISO_DATE: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: GB 11643-1999 check digit weights (ISO 7064 MOD 11-2) and the check characters.
_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"


def id_number_checksum_ok(id_number: str) -> bool:
    """True when the 18th character is the GB 11643 check character of the first 17 digits."""
    if not _ID_NUMBER.match(id_number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(id_number, _WEIGHTS, strict=False))
    return _CHECK[total % 11] == id_number[17]


def _text(value: str, *, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} must not be blank")
    if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in value):
        raise ValueError(f"{what} must not contain control characters")
    return value


class ResidenceAddress(BaseModel):
    """居住地住址 (DESIGN §2): 6-digit administrative code, district, street."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region_code: str = WireField(min_length=6, max_length=6)
    district: str = WireField(min_length=1, max_length=64)
    street: str = WireField(min_length=1, max_length=200)

    @field_validator("region_code")
    @classmethod
    def _region_code(cls, value: str) -> str:
        if not _REGION_CODE.match(value):
            raise ValueError("region_code must be a 6-digit administrative division code")
        return value

    @field_validator("district", "street")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _text(value, what="address part")


class ApplicationBase(IssuerModel):
    jurisdiction: str = Field(max_length=32, index=True)
    name: str = Field(min_length=1, max_length=64)
    sex: Literal["M", "F"] = Field(sa_type=String(1))
    birth_date: date
    id_number: str = Field(min_length=18, max_length=18)
    hukou_address: str = Field(min_length=1, max_length=200)

    @field_validator("name", "hukou_address")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _text(value, what="text")

    @field_validator("birth_date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        # Only YYYY-MM-DD: pydantic would otherwise read 0 or 1700000000 as a date.
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            raise ValueError("birth_date must be a YYYY-MM-DD date")
        return value

    @field_validator("id_number", mode="before")
    @classmethod
    def _id_number(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().upper()
            if not id_number_checksum_ok(value):
                raise ValueError("id_number must be 18 characters with a valid check digit")
        return value


class ApplicationCreate(ApplicationBase):
    """What an applicant submits (``POST /v1/applications``)."""

    # Unknown fields are refused, so a misspelt field is reported rather than ignored.
    # (SQLModel types model_config as its own dict subclass; ConfigDict is what it merges.)
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    residence_address: ResidenceAddress
    #: Validated by ``issuer.eligibility.Facts.from_mapping``, which names the failing fact.
    facts: dict[str, Any]


class Application(ApplicationBase, table=True):
    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint("state IN ('submitted', 'approved', 'rejected', 'issued')", name="state"),
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
        UniqueConstraint("batch_id", "batch_row"),
        Index(
            "ix_application_jurisdiction_state_created_at", "jurisdiction", "state", "created_at"
        ),
        # ``first_issued`` looks up the person's earlier permits in the jurisdiction.
        Index("ix_application_id_number_jurisdiction", "id_number", "jurisdiction"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    residence_region_code: str = Field(max_length=6)
    residence_district: str = Field(max_length=64)
    residence_street: str = Field(max_length=200)
    facts: dict[str, Any] = Field(sa_column=Column(json_type(), nullable=False))
    decision: dict[str, Any] = Field(sa_column=Column(json_type(), nullable=False))
    outcome: str = Field(max_length=20)
    state: str = Field(max_length=16)
    #: SHA-256 of the applicant's status-check token (shown once, in the receipt).
    status_token_hash: str = Field(max_length=64)
    #: Set for rows of an employer batch; (batch_id, batch_row) makes a resumed batch idempotent.
    batch_id: uuid.UUID | None = Field(default=None, foreign_key="batch.id", index=True)
    batch_row: int | None = Field(default=None)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)

    def residence_address(self) -> ResidenceAddress:
        """The three address columns as the wire object."""
        return ResidenceAddress(
            region_code=self.residence_region_code,
            district=self.residence_district,
            street=self.residence_street,
        )


class ApplicationPublic(ApplicationBase):
    """An application as officers see it."""

    id: uuid.UUID
    residence_address: ResidenceAddress
    facts: dict[str, Any]
    decision: dict[str, Any]
    outcome: str
    state: str
    batch_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Application) -> ApplicationPublic:
        """Build the response from a table row (the address columns become one object)."""
        return cls.model_validate(
            {**row.model_dump(), "residence_address": row.residence_address()}
        )


class ApplicationStatusPublic(IssuerModel):
    """What the applicant sees with the status-check token: no identity data at all."""

    id: uuid.UUID
    jurisdiction: str
    state: str
    outcome: str
    decision: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ApplicationReceipt(IssuerModel):
    """Answer to a submission; ``status_token`` is shown here once and stored only hashed."""

    application_id: uuid.UUID
    state: str
    outcome: str
    decision: dict[str, Any]
    status_token: str
