"""Fixtures of the wallet tests: a database per backend, the app, a fake issuer, holders.

``db_url`` is parametrised over SQLite (a fresh file per test, copied from a template migrated
once per session) and PostgreSQL (``127.0.0.1:5432/test``, one schema per test module,
truncated between tests), as in ``tests/issuer``: every test that touches the database runs on
both. Schemas are built by the Alembic migrations. The wallet talks to an in-process fake
issuer (:mod:`tests.wallet.fake_issuer`) through a Starlette ``TestClient`` used as its
``httpx.Client``.
"""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.wallet.fake_issuer import FakeIssuer, build_app
from wallet_api.api.app import create_app
from wallet_api.db import create_engine_for
from wallet_api.migrate import upgrade
from wallet_api.models import metadata
from wallet_api.settings import WalletSettings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=Warning
    )
    from fastapi.testclient import TestClient

POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_SECRET = "test-only-wallet-key-encryption-secret-" + "0123456789abcdef" * 2
#: 10:00 in Shanghai, far from a day boundary.
START = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
PASSWORD = "correct horse battery"


class FakeClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(database_url: str, **overrides: Any) -> WalletSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "key_encryption_secret": TEST_SECRET,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        "allow_insecure_loopback": True,
        **overrides,
    }
    return WalletSettings.model_validate(values)


@pytest.fixture(scope="session")
def postgres_unreachable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at 127.0.0.1:5432/test is unreachable ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wallet-template") / "wallet.db"
    engine = create_engine_for(make_settings(f"sqlite:///{path}"))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def postgres_schema_url(postgres_unreachable: str | None) -> Iterator[str]:
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    schema = f"wallet_test_{uuid.uuid4().hex[:12]}"
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
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "wallet.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_schema_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(db_url: str) -> WalletSettings:
    return make_settings(db_url)


@pytest.fixture
def engine(settings: WalletSettings) -> Iterator[Engine]:
    engine = create_engine_for(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeIssuer:
    return FakeIssuer(clock)


@pytest.fixture
def outside(fake: FakeIssuer) -> Iterator[TestClient]:
    """The wallet's HTTP client: every request goes to the fake issuer/verifier app."""
    with TestClient(build_app(fake), raise_server_exceptions=True) as client:
        yield client


@pytest.fixture
def client(
    settings: WalletSettings, engine: Engine, clock: FakeClock, outside: TestClient
) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine, clock=clock, http_client=outside)
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Holder:
    username: str
    headers: dict[str, str]
    token: str


class Holders:
    """Registers and logs in holders over HTTP."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self._count = 0

    def __call__(self, name: str | None = None) -> Holder:
        self._count += 1
        username = name or f"holder{self._count}"
        response = self._client.post(
            "/v1/accounts",
            json={"username": username, "password": PASSWORD, "display_name": username.title()},
        )
        assert response.status_code == 201, response.text
        return self.login(username)

    def login(self, username: str) -> Holder:
        response = self._client.post(
            "/v1/auth/login", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        return Holder(username, {"Authorization": f"Bearer {token}"}, token)


@pytest.fixture
def holders(client: TestClient) -> Holders:
    return Holders(client)


def receive(client: TestClient, holder: Holder, fake: FakeIssuer, **claims: Any) -> str:
    """Redeem a fresh offer for ``holder``; the new permit's id."""
    uri, pin = fake.offer(**claims)
    response = client.post(
        "/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers
    )
    assert response.status_code == 201, response.text
    permit_id: str = response.json()["permit_id"]
    return permit_id
