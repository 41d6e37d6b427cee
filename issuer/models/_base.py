"""The issuer's own SQLModel registry, naming convention and column helpers.

The issuer keeps its tables in a registry of its own rather than ``SQLModel.metadata``: the
wallet service uses SQLModel too, and Alembic autogeneration or ``create_all`` here must never
pick up (or drop) another service's tables. The naming convention makes constraint names
deterministic, so migrations can refer to them on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

__all__ = ["NAMING_CONVENTION", "IssuerModel", "json_type", "metadata"]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
_registry = registry(metadata=metadata)


class IssuerModel(SQLModel, registry=_registry):
    """Base of every issuer model, table or not; tables land in :data:`metadata`."""


def json_type() -> TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL (indexable, compact, keys stored once)."""
    return JSON().with_variant(JSONB(), "postgresql")
