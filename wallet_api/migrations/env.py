"""Alembic environment: migrate the wallet database named by the settings.

:mod:`wallet_api.migrate` hands an open connection in ``config.attributes["connection"]``; the
plain ``alembic`` command gets none, and then the URL comes from the wallet settings. The
version table is ``wallet_alembic_version``, so the wallet can share a database (or a schema)
with another service without the two fighting over Alembic's bookkeeping.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from wallet_api.db import create_engine_for
from wallet_api.migrate import VERSION_TABLE
from wallet_api.models import metadata
from wallet_api.settings import WalletSettings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(
            url=WalletSettings.load().database_url,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    engine = create_engine_for(WalletSettings.load())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
