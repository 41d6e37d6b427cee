"""The wallet's own fixtures: one database per backend, as in ``tests/wallet``."""

from __future__ import annotations

from tests.wallet.conftest import (
    clock,
    db_url,
    engine,
    postgres_schema_url,
    postgres_unreachable,
    settings,
    sqlite_template,
)

# Re-exported: pytest finds fixtures by name in this module.
__all__ = [
    "clock",
    "db_url",
    "engine",
    "postgres_schema_url",
    "postgres_unreachable",
    "settings",
    "sqlite_template",
]
