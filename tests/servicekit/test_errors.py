"""The problem handlers every service installs: what is common, and what a service adds."""

from __future__ import annotations

import logging
import warnings

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as db_errors

from servicekit.errors import (
    NO_STORE,
    PROBLEM_CONTENT_TYPE,
    RETRY_AFTER_SECONDS,
    Unavailable,
    database_unavailable,
    install_problem_handlers,
    permit_problem,
)
from wire.errors import (
    AuthenticationRequired,
    Conflict,
    InvalidInput,
    PermitError,
    RateLimited,
    ServiceUnavailable,
    http_status,
)

with warnings.catch_warnings():
    # Starlette 1.x warns once, at import, when its TestClient falls back to httpx (installed).
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=Warning
    )
    from fastapi.testclient import TestClient

PERSONAL = "李梅 11010519491231002X"
_log = logging.getLogger("tests.servicekit.errors")


class Teapot(Conflict):
    """A service's own error, answered with its own status."""

    code = "teapot"


class Body(BaseModel):
    name: str


def _permit_error(exc: PermitError) -> JSONResponse:
    status = 418 if isinstance(exc, Teapot) else http_status(exc)
    challenge = {"WWW-Authenticate": 'Bearer error="step_up"'} if exc.message == "mfa" else {}
    return permit_problem(exc, status=status, logger=_log, headers={**NO_STORE, **challenge})


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(
        app,
        permit_error=_permit_error,
        logger=_log,
        unavailable=[database_unavailable(), Unavailable((TimeoutError,), "cache away", "cache")],
        unavailable_headers=NO_STORE,
    )
    raised: dict[str, Exception] = {
        "invalid": InvalidInput("name is too long", field="name"),
        "limited": RateLimited(retry_after=42),
        "unavailable": ServiceUnavailable(),
        "login": AuthenticationRequired(),
        "mfa": AuthenticationRequired("mfa"),
        "teapot": Teapot(),
        # What a cancelled statement looks like to the service: the SQL and the driver's
        # message name the database and (but for hide_parameters) the values.
        "cancelled": db_errors.OperationalError(
            f"INSERT INTO application VALUES ('{PERSONAL}')",
            None,
            Exception("canceling statement due to lock timeout on db.internal:5432"),
        ),
        "cache": TimeoutError(PERSONAL),
        "boom": RuntimeError(PERSONAL),
    }

    @app.get("/raise/{name}")
    def fail(name: str) -> None:
        raise raised[name]

    @app.post("/body")
    def body(_body: Body) -> None:
        return None

    return TestClient(app, raise_server_exceptions=False)


def test_permit_errors_get_the_common_members_and_headers(client: TestClient) -> None:
    invalid = client.get("/raise/invalid")
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert invalid.headers["cache-control"] == "no-store"
    assert invalid.json()["field"] == "name"
    assert client.get("/raise/limited").headers["retry-after"] == "42"
    unavailable = client.get("/raise/unavailable")
    assert unavailable.status_code == 503
    assert unavailable.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert client.get("/raise/login").headers["www-authenticate"] == "Bearer"
    assert client.get("/raise/mfa").headers["www-authenticate"] == 'Bearer error="step_up"'
    teapot = client.get("/raise/teapot")
    assert (teapot.status_code, teapot.json()["code"]) == (418, "teapot")


def test_a_database_that_is_away_is_503_and_says_nothing(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = client.get("/raise/cancelled")
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["code"], body["detail"]) == (
        "service_unavailable",
        "the database is unavailable; retry shortly",
    )
    for leak in (PERSONAL, "db.internal", "INSERT", "lock timeout"):
        assert leak not in response.text
        assert leak not in caplog.text
    assert "database unavailable: OperationalError" in caplog.text


def test_each_backing_store_has_its_own_503(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = client.get("/raise/cache")
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["detail"] == "cache away"
    assert PERSONAL not in response.text
    assert PERSONAL not in caplog.text
    assert "cache unavailable: TimeoutError" in caplog.text


def test_unexpected_errors_are_a_bare_500_logged_by_type(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = client.get("/raise/boom")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert PERSONAL not in response.text
    assert PERSONAL not in caplog.text
    assert "RuntimeError" in caplog.text


def test_validation_and_routing_errors_are_problems(client: TestClient) -> None:
    invalid = client.post("/body", json={"name": 7, "other": PERSONAL})
    assert invalid.status_code == 422
    assert invalid.json()["field"] == "name"
    assert PERSONAL not in invalid.text
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
