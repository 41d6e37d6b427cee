"""A service's Alembic migrations, run from code and from the service's thin ``env.py``.

The configuration is built here rather than read from an ``alembic.ini``: the script location
is the service's packaged migrations and the database the engine made from its settings, so the
CLI, the tests and a deployment all migrate the same way. A service describes its migrations
once (:class:`Migrations`: script location, version table) and its ``env.py`` is a single call
to :meth:`Migrations.run_environment`.

On PostgreSQL a migration transaction lifts ``statement_timeout`` (``SET LOCAL``, this
transaction only): a schema change on a large table may run longer than any request should.
``lock_timeout`` stays: a migration that cannot get its table lock fails early and can be run
again, instead of queueing every request of the running service behind its lock request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine

from servicekit.db import create_engine_for
from servicekit.settings import DatabaseSettings

__all__ = ["Migrations"]


@dataclass(frozen=True, slots=True)
class Migrations:
    """One service's packaged migrations."""

    #: ``package:directory`` of the migration scripts, e.g. ``issuer:migrations``.
    script_location: str
    #: Alembic's bookkeeping table: a service sharing a database (or schema) with another one
    #: names its own, so the two never fight over it.
    version_table: str = "alembic_version"

    def alembic_config(self) -> Config:
        """An Alembic config pointing at the packaged migrations."""
        config = Config()
        config.set_main_option("script_location", self.script_location)
        return config

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        """Migrate ``engine``'s database up to ``revision``, in one transaction."""
        self._run(engine, lambda config: command.upgrade(config, revision))

    def downgrade(self, engine: Engine, revision: str) -> None:
        """Migrate down to ``revision`` (``base`` drops every table of the service)."""
        self._run(engine, lambda config: command.downgrade(config, revision))

    def current_revision(self, engine: Engine) -> str | None:
        """The revision the database is at, or None when it was never migrated."""
        with engine.connect() as connection:
            migration = MigrationContext.configure(
                connection, opts={"version_table": self.version_table}
            )
            return migration.get_current_revision()

    def head_revision(self) -> str | None:
        """The newest revision shipped with this code."""
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def run_environment(
        self, metadata: MetaData, load_settings: Callable[[], DatabaseSettings]
    ) -> None:
        """The body of the service's ``env.py``, which Alembic executes as a script.

        :meth:`upgrade` and :meth:`downgrade` hand it an open connection in
        ``config.attributes["connection"]``; the plain ``alembic`` command gets none, and then
        the URL comes from the service's settings (``load_settings``), never from an ini file.
        """
        if context.is_offline_mode():
            context.configure(
                url=load_settings().database_url,
                target_metadata=metadata,
                version_table=self.version_table,
                literal_binds=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            return
        given = context.config.attributes.get("connection")
        if isinstance(given, Connection):
            self._migrate(given, metadata)
            return
        engine = create_engine_for(load_settings())
        try:
            with engine.begin() as connection:
                _lift_statement_timeout(connection)
                self._migrate(connection, metadata)
        finally:
            engine.dispose()

    def _run(self, engine: Engine, alembic_command: Callable[[Config], None]) -> None:
        config = self.alembic_config()
        with engine.begin() as connection:
            _lift_statement_timeout(connection)
            config.attributes["connection"] = connection
            alembic_command(config)

    def _migrate(self, connection: Connection, metadata: MetaData) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=self.version_table,
            # SQLite cannot ALTER most things in place; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


def _lift_statement_timeout(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
