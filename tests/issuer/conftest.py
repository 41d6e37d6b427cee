"""Fixtures of the issuer tests: one database per backend, the app, officers and a fake clock.

The database fixtures (``db_url`` over SQLite and PostgreSQL, ``settings``, ``engine``) are the
ones :mod:`tests.databases` makes for every service; this module says what the issuer's
database is: its settings, migrations, and the audit head an emptied database keeps.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from issuer.api.app import create_app
from issuer.db import create_engine_for, session_scope
from issuer.migrate import upgrade
from issuer.models import OfficerCreate, metadata
from issuer.models.audit import GENESIS_HASH
from issuer.security import Passwords
from issuer.services.officers import create_officer
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from tests import databases
from tests.clock import FakeClock
from tests.issuer.helpers import OfficerHandle, bearer, login_token, next_totp_step, totp_now
from tests.issuer.wallet import Issued, issue_permit

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork for its TestClient and warns once, at import, when it
    # falls back to httpx (what this project installs). The client behaves the same.
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=Warning
    )
    from fastapi.testclient import TestClient

TEST_JWT_SECRET = "test-only-officer-session-secret-" + "0123456789abcdef" * 3


def make_settings(database_url: str, **overrides: Any) -> IssuerSettings:
    """Test settings: cheap Argon2 (not a global switch: just parameters), loopback URLs."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "jwt_secret": TEST_JWT_SECRET,
        "issuer_url": "http://127.0.0.1:8000/issuer",
        "public_base_url": "http://127.0.0.1:8000",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        "sqlite_busy_timeout_seconds": 10.0,
        # No background status refresher: tests drive it explicitly with the fake clock.
        "status_refresh_seconds": 0.0,
        **overrides,
    }
    return IssuerSettings.model_validate(values)


def _empty(conn: Connection) -> None:
    # Replica mode skips the append-only triggers for this cleanup only.
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    databases.truncate_tables(conn, metadata)
    conn.execute(
        text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)"),
        {"genesis": GENESIS_HASH},
    )


ISSUER_DATABASE = databases.ServiceDatabase(
    name="issuer",
    settings_for=make_settings,
    engine_for=create_engine_for,
    upgrade=upgrade,
    empty=_empty,
)
_truncate_postgres = ISSUER_DATABASE.truncate_postgres
postgres_unreachable = databases.postgres_unreachable
sqlite_template, postgres_schema_url, db_url, settings, engine = databases.database_fixtures(
    ISSUER_DATABASE
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def passwords(settings: IssuerSettings) -> Passwords:
    return Passwords(settings)


@pytest.fixture
def client(settings: IssuerSettings, engine: Engine, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


class OfficerFactory:
    """Creates officers through the service, as ``permit officer create`` does."""

    def __init__(
        self, engine: Engine, settings: IssuerSettings, passwords: Passwords, clock: FakeClock
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._passwords = passwords
        self._clock = clock
        self._count = 0

    def __call__(self, role: str = "clerk", jurisdiction: str = "shanghai") -> OfficerHandle:
        self._count += 1
        username = f"{role}{self._count}.{jurisdiction}"
        password = f"correct horse battery {self._count}"
        with session_scope(self._engine) as session:
            officer, secret = create_officer(
                session=session,
                data=OfficerCreate(
                    username=username, role=role, jurisdiction=jurisdiction, password=password
                ),
                passwords=self._passwords,
                jurisdictions=self._settings.jurisdictions,
                actor="cli",
                now=self._clock(),
            )
        return OfficerHandle(
            id=officer.id, username=username, password=password, totp_secret=secret
        )


@pytest.fixture
def make_officer(
    engine: Engine, settings: IssuerSettings, passwords: Passwords, clock: FakeClock
) -> OfficerFactory:
    return OfficerFactory(engine, settings, passwords, clock)


class Sessions:
    """Log officers in over HTTP and hand back Authorization headers."""

    def __init__(self, client: TestClient, clock: FakeClock) -> None:
        self._client = client
        self._clock = clock

    def headers(self, officer: OfficerHandle, *, mfa: bool = False) -> dict[str, str]:
        if not mfa:
            return bearer(login_token(self._client, officer))
        token = login_token(self._client, officer, totp=totp_now(officer.totp_secret, self._clock))
        next_totp_step(self._clock)  # a TOTP code is accepted once; the next login needs a new one
        return bearer(token)


@pytest.fixture
def sessions(client: TestClient, clock: FakeClock) -> Sessions:
    return Sessions(client, clock)


@pytest.fixture
def make_client(
    db_url: str, engine: Engine, clock: FakeClock
) -> Iterator[Callable[..., TestClient]]:
    """More apps on the same database and clock, with other settings or another key ring."""
    clients: list[TestClient] = []

    def factory(*, ring: KeyRing | None = None, **overrides: Any) -> TestClient:
        app = create_app(make_settings(db_url, **overrides), engine=engine, clock=clock, ring=ring)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def issued(
    client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
) -> Issued:
    """A permit approved and redeemed over OpenID4VCI with one holder key (modules that need
    more copies override it)."""
    return issue_permit(client, sessions, make_officer, clock)
