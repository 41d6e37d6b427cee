"""Service plumbing shared by the issuer, the wallet and the verifier service.

Why a package of its own: the issuer and the wallet are separate services that never import
each other (the wallet talks to issuers only over HTTP, DESIGN §1), yet they need the very same
plumbing — a database engine bounded in how long it may hold a request, the mapping of a
database that is away to a 503 with ``Retry-After``, the Alembic runner, the settings fields
and validators behind them, the app shell, the request dependencies and password hashing.
Copying it into both had let the copies drift; putting it in ``wire`` would break that
package's purity (bytes in, bytes out: no I/O, no framework), so it lives here, and ``wire``
never imports it.

- :mod:`servicekit.settings` — the settings base (``load`` that never echoes values), the
  database settings (including the PostgreSQL statement and lock timeouts) and the password
  hashing settings with their production checks;
- :mod:`servicekit.db` — the engine factory for SQLite and PostgreSQL, ``TZDateTime``,
  ``session_scope`` and the SQLAlchemy errors that mean "the database is away";
- :mod:`servicekit.errors` — RFC 9457 problem responses and the handlers every service
  installs (no SQLAlchemy import: the verifier uses it without a database);
- :mod:`servicekit.migrations` — one service's packaged Alembic migrations, run from code and
  from the service's thin ``env.py``;
- :mod:`servicekit.app` — the application shell each service builds its routes into: version,
  app-wide problem responses, error handlers, and a lifespan that runs the service's own work
  and then closes what the factory created itself (no SQLAlchemy import either);
- :mod:`servicekit.deps` — for the services with a database and password logins: what they keep
  on ``app.state`` (engine, clock, password hasher) and the request dependencies that read it
  (the request's transaction, its time, the hasher, the caller's address);
- :mod:`servicekit.passwords` — Argon2id password hashing with the deployment's cost, an
  unknown username costing what a known one does.

Nothing is imported here, so ``import servicekit.settings`` stays light.
"""
