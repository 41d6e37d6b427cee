"""The request dependencies of the services with a database, on a real SQLite database.

One transaction per request: committed before the response is sent, so a commit that fails
(here a deferred foreign key, checked by SQLite at ``COMMIT``) is an error response and never a
false success; rolled back when the route raises.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine

from servicekit.app import Owned, service_app
from servicekit.db import create_engine_for
from servicekit.deps import (
    EngineDep,
    NowDep,
    PasswordsDep,
    SessionDep,
    client_address,
    install_request_state,
)
from servicekit.errors import database_unavailable, install_problem_handlers, permit_problem
from servicekit.passwords import Passwords
from servicekit.settings import DatabaseSettings, PasswordSettings
from wire.errors import Conflict, PermitError, http_status

with warnings.catch_warnings():
    # Starlette 1.x warns once, at import, when its TestClient falls back to httpx (installed).
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=Warning
    )
    from fastapi.testclient import TestClient

_log = logging.getLogger(__name__)
NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


class ExampleSettings(DatabaseSettings, PasswordSettings):
    """A service with a database and password logins, as the issuer and the wallet are."""


def install_handlers(app: FastAPI) -> None:
    def answer(exc: PermitError) -> JSONResponse:
        return permit_problem(exc, status=http_status(exc), logger=_log)

    install_problem_handlers(
        app, permit_error=answer, logger=_log, unavailable=[database_unavailable()]
    )


@pytest.fixture
def settings(tmp_path: Path) -> ExampleSettings:
    return ExampleSettings.model_validate(
        {
            "environment": "test",
            "database_url": f"sqlite:///{tmp_path}/example.db",
            "argon2_time_cost": 1,
            "argon2_memory_kib": 8,
            "argon2_parallelism": 1,
        }
    )


@pytest.fixture
def engine(settings: ExampleSettings) -> Iterator[Engine]:
    engine = create_engine_for(settings)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER "
                "REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        conn.execute(text("INSERT INTO parent (id) VALUES (1)"))
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: ExampleSettings, engine: Engine) -> Iterator[TestClient]:
    app = service_app(
        settings,
        title="example",
        responses={},
        install_error_handlers=install_handlers,
        owned=Owned(),
    )
    install_request_state(app, engine=engine, clock=lambda: NOW, passwords=Passwords(settings))

    @app.post("/children/{child}")
    def add_child(child: int, parent: int, session: SessionDep) -> dict[str, int]:
        session.execute(
            text("INSERT INTO child (id, parent) VALUES (:c, :p)"), {"c": child, "p": parent}
        )
        if child >= 100:
            raise Conflict("refused after the write")
        return {"added": child}

    @app.get("/context")
    def context(
        now: NowDep,
        engine: EngineDep,
        passwords: PasswordsDep,
        address: Annotated[str, Depends(client_address)],
    ) -> dict[str, str]:
        return {
            "now": now.isoformat(),
            "engine": engine.dialect.name,
            "hash": passwords.hash("a password").split("$")[1],
            "address": address,
        }

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def children(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM child ORDER BY id")).scalars())


def test_a_successful_request_commits(client: TestClient, engine: Engine) -> None:
    answer = client.post("/children/1", params={"parent": 1})
    assert answer.status_code == 200
    assert children(engine) == [1]


def test_a_route_that_raises_rolls_back(client: TestClient, engine: Engine) -> None:
    answer = client.post("/children/100", params={"parent": 1})
    assert answer.status_code == 409
    assert children(engine) == []


def test_a_failed_commit_is_an_error_response_never_a_false_success(
    client: TestClient, engine: Engine
) -> None:
    # The insert itself succeeds; the deferred foreign key fails the COMMIT, after the route
    # returned: the client must not be told "added".
    answer = client.post("/children/2", params={"parent": 99})
    assert answer.status_code == 500
    assert "added" not in answer.text
    assert children(engine) == []


def test_clock_engine_hasher_and_peer_come_from_the_app_and_request(client: TestClient) -> None:
    assert client.get("/context").json() == {
        "now": NOW.isoformat(),
        "engine": "sqlite",
        "hash": "argon2id",
        "address": "testclient",  # Starlette's TestClient peer
    }
