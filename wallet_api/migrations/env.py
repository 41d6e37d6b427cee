"""Alembic environment: migrate the wallet database named by the settings.

Alembic executes this file as a script; the work is the services' common runner
(:meth:`servicekit.migrations.Migrations.run_environment`): :mod:`wallet_api.migrate` hands it
an open connection, the plain ``alembic`` command gets the URL from the wallet settings. The
version table is ``wallet_alembic_version`` (:data:`wallet_api.migrate.VERSION_TABLE`).
"""

from __future__ import annotations

from wallet_api.migrate import MIGRATIONS
from wallet_api.models import metadata
from wallet_api.settings import WalletSettings

MIGRATIONS.run_environment(metadata, WalletSettings.load)
