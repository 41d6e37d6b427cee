"""Run the wallet's Alembic migrations from code (``permit serve wallet`` upgrades on start).

The runner is the services' common one (:class:`servicekit.migrations.Migrations`): the script
location is the packaged ``wallet_api/migrations`` and the database the engine made from the
wallet settings. The version table is the wallet's own, so it can share a database (or a
schema) with another service without the two fighting over Alembic's bookkeeping.
"""

from __future__ import annotations

from typing import Final

from servicekit.migrations import Migrations

__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]

SCRIPT_LOCATION: Final = "wallet_api:migrations"
#: Alembic's bookkeeping table of the wallet (not the default ``alembic_version``).
VERSION_TABLE: Final = "wallet_alembic_version"
#: The wallet's migrations; the functions below are its methods, under the names callers use.
MIGRATIONS: Final = Migrations(SCRIPT_LOCATION, version_table=VERSION_TABLE)

alembic_config = MIGRATIONS.alembic_config
upgrade = MIGRATIONS.upgrade
downgrade = MIGRATIONS.downgrade
current_revision = MIGRATIONS.current_revision
head_revision = MIGRATIONS.head_revision
