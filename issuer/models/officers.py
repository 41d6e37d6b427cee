"""Officers: the agency staff who review applications and act on permits (issue 3 §3).

``totp_secret``, ``password_hash``, ``totp_last_step`` and ``token_version`` exist only on the
table model, so no response model can ever carry them (CONVENTIONS §11).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import field_validator
from sqlalchemy import CheckConstraint, String
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "Officer",
    "OfficerBase",
    "OfficerCreate",
    "OfficerPublic",
    "Role",
    "is_username",
    "normalize_username",
]


class Role(StrEnum):
    """``clerk`` reviews and approves; ``supervisor`` also suspends, reinstates and revokes;
    ``auditor`` reads."""

    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"


ROLES: Final = tuple(role.value for role in Role)
MIN_PASSWORD_LENGTH: Final = 12
_USERNAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def normalize_username(value: str) -> str:
    """Case-folded, trimmed username: ``Alice`` and ``alice`` are one officer."""
    return value.strip().casefold()


def is_username(value: str) -> bool:
    """Whether a normalized ``value`` can name an officer (login skips the lookup otherwise)."""
    return bool(value) and set(value) <= _USERNAME_CHARS and value[0].isalnum()


class OfficerBase(IssuerModel):
    username: str = Field(min_length=3, max_length=64, unique=True, index=True)
    role: str = Field(sa_type=String(16))
    jurisdiction: str = Field(max_length=32)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = normalize_username(value)
        if not is_username(value):
            raise ValueError("username may hold a-z, 0-9, '.', '_' and '-' and start alphanumeric")
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError("role must be clerk, supervisor or auditor")
        return value


class OfficerCreate(OfficerBase):
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class Officer(OfficerBase, table=True):
    __tablename__ = "officer"
    __table_args__ = (CheckConstraint("role IN ('clerk', 'supervisor', 'auditor')", name="role"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    password_hash: str = Field(max_length=255)
    totp_secret: str = Field(max_length=64)
    #: Last TOTP time step accepted, so a code cannot be used twice (RFC 6238 §5.2).
    totp_last_step: int = Field(default=0)
    disabled: bool = Field(default=False)
    #: Carried in every session token; bumping it ends all of the officer's sessions.
    token_version: int = Field(default=1)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class OfficerPublic(OfficerBase):
    id: uuid.UUID
    disabled: bool
    created_at: datetime
