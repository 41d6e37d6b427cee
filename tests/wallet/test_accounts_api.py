"""Accounts: registration, Argon2 login, throttling (429 + Retry-After), session expiry."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.clock import FakeClock
from tests.wallet.conftest import PASSWORD, Holders
from wallet_api.models import Account, SessionToken


def test_register_login_whoami_logout(client: TestClient, holders: Holders, engine: Engine) -> None:
    holder = holders("LiMei")
    assert holder.username == "LiMei"
    me = client.get("/v1/auth/session", headers=holder.headers)
    assert me.status_code == 200
    assert me.json()["username"] == "limei"
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert account.password_hash.startswith("$argon2id$")
        stored = session.exec(select(SessionToken)).one()
        assert stored.token_hash != holder.token
        assert len(stored.token_hash) == 64
    assert client.post("/v1/auth/logout", headers=holder.headers).status_code == 204
    assert client.get("/v1/auth/session", headers=holder.headers).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "password": PASSWORD, "display_name": "x"}, "username"),
        ({"username": "-bad", "password": PASSWORD, "display_name": "x"}, "username"),
        ({"username": "李梅梅", "password": PASSWORD, "display_name": "x"}, "username"),
        ({"username": "good.name", "password": "short", "display_name": "x"}, "password"),
        ({"username": "good.name", "password": PASSWORD, "display_name": " "}, "display_name"),
        ({"username": "good.name", "password": PASSWORD}, "display_name"),
        (
            {"username": "good.name", "password": PASSWORD, "display_name": "x", "role": "admin"},
            "role",
        ),
    ],
)
def test_registration_refuses_bad_input(
    client: TestClient, body: dict[str, str], field: str
) -> None:
    response = client.post("/v1/accounts", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    assert PASSWORD not in response.text


def test_username_taken_is_a_conflict(client: TestClient, holders: Holders) -> None:
    holders("wang.fang")
    again = client.post(
        "/v1/accounts", json={"username": "Wang.Fang", "password": PASSWORD, "display_name": "W"}
    )
    assert again.status_code == 409


def test_wrong_password_then_throttled_with_retry_after(
    client: TestClient, holders: Holders, clock: FakeClock
) -> None:
    holders("zhao")
    for _ in range(5):
        wrong = client.post("/v1/auth/login", data={"username": "zhao", "password": "wrong-wrong"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
    limited = client.post("/v1/auth/login", data={"username": "zhao", "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 300
    unknown = client.post("/v1/auth/login", data={"username": "nobody", "password": PASSWORD})
    assert unknown.status_code == 401  # another key: not throttled, and same answer as wrong
    clock.advance(seconds=301)
    assert (
        client.post("/v1/auth/login", data={"username": "zhao", "password": PASSWORD}).status_code
        == 200
    )


def test_session_expires(client: TestClient, holders: Holders, clock: FakeClock) -> None:
    holder = holders()
    clock.advance(seconds=15 * 60 - 1)
    assert client.get("/v1/permits", headers=holder.headers).status_code == 200
    clock.advance(seconds=1)
    expired = client.get("/v1/permits", headers=holder.headers)
    assert expired.status_code == 401
    assert expired.json()["code"] == "unauthenticated"
    assert client.get("/v1/history", headers=holder.headers).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic abc"},
    ],
)
def test_protected_endpoints_need_a_session(client: TestClient, headers: dict[str, str]) -> None:
    for method, path in (
        ("GET", "/v1/permits"),
        ("GET", "/v1/history"),
        ("GET", "/v1/grants"),
        ("POST", "/v1/offers"),
        ("POST", "/v1/requests/preview"),
        ("GET", "/v1/auth/session"),
    ):
        response = client.request(method, path, headers=headers, json={})
        assert response.status_code in (401, 422), (method, path)
        if response.status_code == 422:  # body checked first by FastAPI: still no data
            continue
        assert response.json()["code"] == "unauthenticated"


def test_login_form_is_validated(client: TestClient) -> None:
    assert client.post("/v1/auth/login", data={"username": "x"}).status_code == 422
    assert client.post("/v1/auth/login", json={"username": "x", "password": "y"}).status_code == 422
