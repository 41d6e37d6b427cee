"""The audit log tables: hash-chained events, their chain head, and state transitions.

:class:`AuditEvent` rows hold references (ids, action names), never personal data; the database
refuses UPDATE and DELETE on them (triggers created by the migration). :class:`AuditHead` is a
single row naming the last event: appenders lock it, so concurrent appends queue instead of
forking the chain, and a removed tail event is detectable. :class:`Transition` keeps the "why"
of each state move (the officer's reason), which the audit event references by id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import Column, Index
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel, json_type

__all__ = ["AUDIT_HEAD_ID", "GENESIS_HASH", "AuditEvent", "AuditHead", "Transition"]

#: ``prev_hash`` of the first event.
GENESIS_HASH: Final = "0" * 64
AUDIT_HEAD_ID: Final = 1


class AuditEvent(IssuerModel, table=True):
    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=TZDateTime)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    refs: dict[str, str] = Field(sa_column=Column(json_type(), nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(IssuerModel, table=True):
    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)


class Transition(IssuerModel, table=True):
    __tablename__ = "transition"
    __table_args__ = (Index("ix_transition_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=16)
    entity_id: uuid.UUID
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    action: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    at: datetime = Field(sa_type=TZDateTime)
    reason: str = Field(max_length=500)
