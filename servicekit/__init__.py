"""Service plumbing shared by the issuer, the wallet and the verifier service.

Why a package of its own: the issuer and the wallet are separate services that never import
each other (the wallet talks to issuers only over HTTP, DESIGN §1), yet they need the very same
plumbing — a database engine bounded in how long it may hold a request, the mapping of a
database that is away to a 503 with ``Retry-After``, the Alembic runner, and the settings
fields and validators behind them. Copying it into both had let the copies drift; putting it
in ``wire`` would break that package's purity (bytes in, bytes out: no I/O, no framework), so
it lives here, and ``wire`` never imports it.

- :mod:`servicekit.settings` — the settings base (``load`` that never echoes values), the
  database settings (including the PostgreSQL statement and lock timeouts) and the password
  hashing settings with their production checks;
- :mod:`servicekit.db` — the engine factory for SQLite and PostgreSQL, ``TZDateTime``,
  ``session_scope`` and the SQLAlchemy errors that mean "the database is away";
- :mod:`servicekit.errors` — RFC 9457 problem responses and the handlers every service
  installs (no SQLAlchemy import: the verifier uses it without a database);
- :mod:`servicekit.migrations` — one service's packaged Alembic migrations, run from code and
  from the service's thin ``env.py``.

Nothing is imported here, so ``import servicekit.settings`` stays light.
"""
