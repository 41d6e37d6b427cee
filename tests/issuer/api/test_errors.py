"""Problem details (RFC 9457) for every failure, and nothing private in them or in the logs."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from issuer.api.app import create_app
from issuer.api.errors import problem_response
from issuer.settings import IssuerSettings
from tests.issuer.helpers import assert_problem
from wire.errors import Conflict, InvalidInput, RateLimited, ServiceUnavailable

SECRET_ISH = "李梅 11010519491231002X"


@pytest.fixture
def app_client(settings: IssuerSettings) -> TestClient:
    """An app with extra routes that fail on purpose (no database needed)."""
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(SECRET_ISH)

    @app.get("/unavailable")
    def unavailable() -> None:
        raise ServiceUnavailable()

    @app.get("/limited")
    def limited() -> None:
        raise RateLimited(retry_after=42)

    @app.get("/invalid")
    def invalid() -> None:
        raise InvalidInput("facts must be an object", field="facts")

    @app.get("/conflict")
    def conflict() -> None:
        raise Conflict()

    return TestClient(app, raise_server_exceptions=False)


def test_unexpected_error_is_a_bare_500_and_logs_no_detail(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = app_client.get("/boom")
    body = assert_problem(response, 500, "internal_error")
    assert body["detail"] == "internal error"
    assert SECRET_ISH not in response.text
    assert "Traceback" not in response.text
    assert SECRET_ISH not in caplog.text
    assert "RuntimeError" in caplog.text


def test_permit_errors_map_through_http_status(app_client: TestClient) -> None:
    assert_problem(app_client.get("/unavailable"), 503, "service_unavailable")
    assert_problem(app_client.get("/conflict"), 409, "conflict")
    limited = assert_problem(app_client.get("/limited"), 429, "rate_limited")
    assert limited["title"] == "Too Many Requests"
    assert app_client.get("/limited").headers["retry-after"] == "42"
    invalid = assert_problem(app_client.get("/invalid"), 422, "invalid_input", field="facts")
    assert invalid["detail"] == "facts must be an object"


def test_routing_errors_are_problems(app_client: TestClient) -> None:
    assert_problem(app_client.get("/v1/nowhere"), 404, "not_found")
    assert_problem(app_client.delete("/v1/eligibility"), 405, "method_not_allowed")


def test_validation_problem_lists_every_error(app_client: TestClient) -> None:
    response = app_client.post("/v1/eligibility", json={})
    body = assert_problem(response, 422, "invalid_input", field="jurisdiction")
    assert [e["field"] for e in body["errors"]] == ["jurisdiction", "facts"]


def test_long_unknown_field_names_are_not_reflected(app_client: TestClient) -> None:
    key = "k" * 500
    response = app_client.post(
        "/v1/eligibility", json={"jurisdiction": "shanghai", "facts": {}, key: 1}
    )
    assert response.status_code == 422
    assert key not in response.text


def test_problem_response_shape() -> None:
    response = problem_response(status=409, code="conflict", detail="d", extra_member=1)
    assert response.media_type == "application/problem+json"
    assert bytes(response.body).startswith(b'{"type":"urn:residence-permit:problem:conflict"')
