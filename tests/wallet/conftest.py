"""Fixtures of the wallet tests: a database per backend, the app, a fake issuer, holders.

The database fixtures (``db_url`` over SQLite and PostgreSQL, ``settings``, ``engine``) are the
ones :mod:`tests.databases` makes for every service, as in ``tests/issuer``: every test that
touches the database runs on both backends. The wallet talks to an in-process fake issuer
(:mod:`tests.wallet.fake_issuer`) through a Starlette ``TestClient`` used as its
``httpx.Client``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests import databases
from tests.clock import FakeClock
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

TEST_SECRET = "test-only-wallet-key-encryption-secret-" + "0123456789abcdef" * 2
#: 10:00 in Shanghai, far from a day boundary.
PASSWORD = "correct horse battery"


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


WALLET_DATABASE = databases.ServiceDatabase(
    name="wallet",
    settings_for=make_settings,
    engine_for=create_engine_for,
    upgrade=upgrade,
    empty=functools.partial(databases.truncate_tables, metadata=metadata),
)
postgres_unreachable = databases.postgres_unreachable
sqlite_template, postgres_schema_url, db_url, settings, engine = databases.database_fixtures(
    WALLET_DATABASE
)


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
