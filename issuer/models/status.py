"""Token Status List bookkeeping (DESIGN §4, issue 3 §6): lists and their allocated entries.

Indices are drawn at random and inserted as :class:`StatusAllocation` rows whose primary key is
``(list_id, idx)``: two processes that draw the same index cannot both insert it, so an index is
never shared and, since rows are never deleted, never reused. The entry's current value lives on
the allocation row; a change marks the list ``dirty`` and bumps ``version`` so the publisher
rebuilds the signed token once per change burst rather than per request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel

__all__ = ["DEFAULT_LIST_SIZE", "StatusAllocation", "StatusList"]

#: 2^17 entries per list (issue 3 §6): large enough for herd privacy, 32 KiB at 2 bits raw.
DEFAULT_LIST_SIZE = 2**17


class StatusList(IssuerModel, table=True):
    __tablename__ = "status_list"
    __table_args__ = (CheckConstraint("bits IN (1, 2, 4, 8)", name="bits"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The ``sub`` of the token and the ``uri`` of every status reference into this list.
    uri: str = Field(max_length=500, unique=True)
    bits: int = Field(default=2)
    size: int = Field(default=DEFAULT_LIST_SIZE)
    #: True when an entry changed since ``token`` was built.
    dirty: bool = Field(default=True)
    version: int = Field(default=0)
    token: str | None = Field(default=None, sa_type=Text)
    etag: str | None = Field(default=None, max_length=64)
    built_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    created_at: datetime = Field(sa_type=TZDateTime)
    #: Entries handed out so far; a list is full at ``status_list_fill`` of ``size``.
    allocated: int = Field(default=0)
    #: ``exp`` of ``token``: the refresher re-signs well before it.
    token_exp: datetime | None = Field(default=None, sa_type=TZDateTime)
    #: ``kid`` that signed ``token``; a key rotation re-signs every list.
    kid: str | None = Field(default=None, max_length=128)


class StatusAllocation(IssuerModel, table=True):
    __tablename__ = "status_allocation"
    __table_args__ = (CheckConstraint("status >= 0 AND status <= 255", name="status"),)

    list_id: int = Field(foreign_key="status_list.id", primary_key=True)
    idx: int = Field(primary_key=True)
    #: Current Token Status List value: 0 VALID, 1 INVALID, 2 SUSPENDED.
    status: int = Field(default=0)
    allocated_at: datetime = Field(sa_type=TZDateTime)
