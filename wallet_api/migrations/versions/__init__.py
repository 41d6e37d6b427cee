"""Alembic revisions of the wallet, oldest first."""
