"""Alembic environment: migrate the issuer database named by the settings.

Alembic executes this file as a script; the work is the services' common runner
(:meth:`servicekit.migrations.Migrations.run_environment`): ``permit db ...``
(:mod:`issuer.migrate`) hands it an open connection, the plain ``alembic`` command gets the URL
from the issuer settings (``PERMIT_ISSUER_DATABASE_URL`` or ``DATABASE_URL``), never from an ini
file.
"""

from __future__ import annotations

from issuer.migrate import MIGRATIONS
from issuer.models import metadata
from issuer.settings import IssuerSettings

MIGRATIONS.run_environment(metadata, IssuerSettings.load)
