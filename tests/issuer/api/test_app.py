"""The application factory: state on app.state, its own engine, OpenAPI, factory from env."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.api.app import create_app, create_app_from_env
from issuer.settings import IssuerSettings
from tests.issuer.conftest import TEST_JWT_SECRET

ENDPOINTS = {
    ("/v1/auth/token", "post"),
    ("/v1/auth/session", "get"),
    ("/v1/eligibility", "post"),
    ("/v1/jurisdictions", "get"),
    ("/v1/applications", "post"),
    ("/v1/applications", "get"),
    ("/v1/applications/{application_id}", "get"),
    ("/v1/applications/{application_id}/status", "get"),
    ("/v1/applications/{application_id}/approve", "post"),
    ("/v1/applications/{application_id}/reject", "post"),
    # Issuance (OpenID4VCI), offers, status lists, permit lifecycle.
    ("/v1/applications/{application_id}/offer", "get"),
    ("/v1/applications/{application_id}/offer", "post"),
    ("/v1/applications/{application_id}/offer/qr", "get"),
    ("/v1/applications/{application_id}/status/offer", "get"),
    ("/v1/applications/{application_id}/status/offer/qr", "get"),
    ("/.well-known/openid-credential-issuer/issuer", "get"),
    ("/.well-known/oauth-authorization-server/issuer", "get"),
    ("/.well-known/jwt-vc-issuer/issuer", "get"),
    ("/issuer/token", "post"),
    ("/issuer/nonce", "post"),
    ("/issuer/credential", "post"),
    ("/status/{list_id}", "get"),
    ("/v1/permits", "get"),
    ("/v1/permits/{permit_id}", "get"),
    ("/v1/permits/{permit_id}/suspend", "post"),
    ("/v1/permits/{permit_id}/reinstate", "post"),
    ("/v1/permits/{permit_id}/revoke", "post"),
    ("/v1/permits/{permit_id}/renew", "post"),
    ("/v1/permits/{permit_id}/change", "post"),
    # Employer batches.
    ("/v1/batches", "post"),
    ("/v1/batches", "get"),
    ("/v1/batches/{batch_id}", "get"),
    ("/v1/batches/{batch_id}/approve", "post"),
    # The paper-permit extension (docs/wallet.md).
    ("/issuer/paper-credential", "post"),
}


def test_app_with_its_own_engine_serves_and_shuts_down(settings: IssuerSettings) -> None:
    app = create_app(settings)
    assert app.state.settings is settings
    with TestClient(app) as client:
        assert client.post("/v1/applications", json={}).status_code == 422
        assert client.get("/v1/jurisdictions").status_code == 200


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    found = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert found == ENDPOINTS
    schemes = schema["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/v1/auth/token"


def test_factory_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERMIT_ISSUER_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("PERMIT_ISSUER_JWT_SECRET", TEST_JWT_SECRET)
    monkeypatch.setenv("PERMIT_ISSUER_JURISDICTIONS", '["jiangsu"]')
    app = create_app_from_env()
    assert app.state.settings.jurisdictions == ("jiangsu",)
    app.state.engine.dispose()
