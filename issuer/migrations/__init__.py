"""Alembic migrations of the issuer database (``permit db upgrade``); see :mod:`issuer.migrate`."""
