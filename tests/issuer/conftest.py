"""Fixtures of the issuer tests: one database per backend, the app, officers and a fake clock.

``db_url`` is parametrised over SQLite (a fresh file per test, copied from a template migrated
once per session) and PostgreSQL (``127.0.0.1:5432/test``, one schema per test module,
truncated between tests), so every test that touches the database runs on both. Schemas are
always built by the Alembic migrations, never by ``create_all``. PostgreSQL tests are skipped
with the reason when the server cannot be reached.
"""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from issuer.api.app import create_app
from issuer.db import create_engine_for, session_scope
from issuer.migrate import upgrade
from issuer.models import OfficerCreate, metadata
from issuer.models.audit import GENESIS_HASH
from issuer.security import Passwords
from issuer.services.officers import create_officer
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from tests.issuer.helpers import (
    FakeClock,
    OfficerHandle,
    bearer,
    login_token,
    next_totp_step,
    totp_now,
)

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork for its TestClient and warns once, at import, when it
    # falls back to httpx (what this project installs). The client behaves the same.
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=Warning
    )
    from fastapi.testclient import TestClient

POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_JWT_SECRET = "test-only-officer-session-secret-" + "0123456789abcdef" * 3
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


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


@pytest.fixture(scope="session")
def postgres_unreachable() -> str | None:
    """None when PostgreSQL answers, else the reason to skip."""
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at 127.0.0.1:5432/test is unreachable ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "issuer.db"
    engine = create_engine_for(make_settings(f"sqlite:///{path}"))
    upgrade(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture(scope="module")
def postgres_schema_url(postgres_unreachable: str | None) -> Iterator[str]:
    """A fresh schema for this test module, migrated to head; dropped afterwards."""
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    schema = f"issuer_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = create_engine_for(make_settings(url))
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _truncate_postgres(url: str) -> None:
    engine = create_engine_for(make_settings(url))
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    try:
        with engine.begin() as conn:
            # Replica mode skips the append-only triggers for this cleanup only.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            conn.execute(
                text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)"),
                {"genesis": GENESIS_HASH},
            )
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty, migrated issuer database on the parametrised backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "issuer.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_schema_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(db_url: str) -> IssuerSettings:
    return make_settings(db_url)


@pytest.fixture
def engine(settings: IssuerSettings) -> Iterator[Engine]:
    engine = create_engine_for(settings)
    yield engine
    engine.dispose()


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
