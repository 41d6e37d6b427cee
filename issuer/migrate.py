"""Run the issuer's Alembic migrations from code (``permit db upgrade|downgrade|current``).

The runner is the services' common one (:class:`servicekit.migrations.Migrations`): the script
location is the packaged ``issuer/migrations`` and the database the engine made from the issuer
settings, so the CLI, the tests and a deployment all migrate the same way. The issuer keeps
Alembic's default version table.
"""

from __future__ import annotations

from typing import Final

from servicekit.migrations import Migrations

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]

SCRIPT_LOCATION: Final = "issuer:migrations"
#: The issuer's migrations; the functions below are its methods, under the names callers use.
MIGRATIONS: Final = Migrations(SCRIPT_LOCATION)

alembic_config = MIGRATIONS.alembic_config
upgrade = MIGRATIONS.upgrade
downgrade = MIGRATIONS.downgrade
current_revision = MIGRATIONS.current_revision
head_revision = MIGRATIONS.head_revision
