"""Alembic migrations of the wallet database; see :mod:`wallet_api.migrate`."""
