"""Alembic environment: migrate the issuer database named by the settings.

Alembic executes this file as a script. ``permit db ...`` (:mod:`issuer.migrate`) hands it an
open connection in ``config.attributes["connection"]``; the plain ``alembic`` command gets no
connection, and then the URL comes from the issuer settings (``PERMIT_ISSUER_DATABASE_URL`` or
``DATABASE_URL``), never from an ini file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from issuer.db import create_engine_for
from issuer.models import metadata
from issuer.settings import IssuerSettings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(
            url=IssuerSettings.load().database_url,
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    engine = create_engine_for(IssuerSettings.load())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
