"""Employer accounts that submit their employees' applications in batches (issue 3 §7).

The API key is 256 random bits shown once; only its SHA-256 is stored. A slow password hash is
unnecessary for a key that cannot be guessed, and a plain digest allows an indexed lookup.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel

__all__ = ["Employer", "EmployerBase", "EmployerCreate", "EmployerPublic"]


class EmployerBase(IssuerModel):
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str = Field(max_length=32)


class EmployerCreate(EmployerBase):
    pass


class Employer(EmployerBase, table=True):
    __tablename__ = "employer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    api_key_hash: str = Field(max_length=64, unique=True)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(sa_type=TZDateTime)


class EmployerPublic(EmployerBase):
    id: uuid.UUID
    disabled: bool
    created_at: datetime
