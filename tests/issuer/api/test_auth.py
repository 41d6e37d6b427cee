"""POST /v1/auth/token and GET /v1/auth/session: login, TOTP, throttling, ending sessions."""

from __future__ import annotations

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.api.app import create_app
from issuer.db import session_scope
from issuer.models import AuditEvent, Officer
from issuer.services.officers import disable_officer
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import (
    OfficerHandle,
    application_body,
    assert_problem,
    bearer,
    login_token,
    next_totp_step,
    totp_now,
)


def form(officer: OfficerHandle, **extra: str) -> dict[str, str]:
    return {"username": officer.username, "password": officer.password, **extra}


def test_password_login_opens_a_session_without_mfa(
    client: TestClient, make_officer: OfficerFactory
) -> None:
    officer = make_officer("clerk")
    response = client.post("/v1/auth/token", data=form(officer, grant_type="password"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["mfa"] is False
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(officer.id)
    assert (claims["role"], claims["jur"], claims["tv"], claims["amr"]) == (
        "clerk",
        "shanghai",
        1,
        ["pwd"],
    )
    session = client.get("/v1/auth/session", headers=bearer(body["access_token"]))
    assert session.status_code == 200
    assert session.json() == {
        "officer_id": str(officer.id),
        "role": "clerk",
        "jurisdiction": "shanghai",
        "mfa": False,
    }


def test_totp_login_sets_mfa(
    client: TestClient, make_officer: OfficerFactory, clock: FakeClock
) -> None:
    officer = make_officer("supervisor")
    response = client.post(
        "/v1/auth/token", data=form(officer, totp=totp_now(officer.totp_secret, clock))
    )
    assert response.status_code == 200
    assert response.json()["mfa"] is True
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["amr"] == ["pwd", "otp"]


def test_username_is_case_insensitive(client: TestClient, make_officer: OfficerFactory) -> None:
    officer = make_officer()
    response = client.post(
        "/v1/auth/token", data={"username": officer.username.upper(), "password": officer.password}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("case", ["wrong-password", "unknown-user", "wrong-totp", "replayed-totp"])
def test_bad_credentials_all_look_the_same(
    client: TestClient, make_officer: OfficerFactory, clock: FakeClock, case: str
) -> None:
    officer = make_officer("supervisor")
    data = form(officer)
    if case == "wrong-password":
        data["password"] = "not the password"
    elif case == "unknown-user":
        data["username"] = "nobody.here"
    elif case == "wrong-totp":
        code = totp_now(officer.totp_secret, clock)
        data["totp"] = f"{(int(code) + 1) % 1_000_000:06d}"
    else:
        data["totp"] = totp_now(officer.totp_secret, clock)
        assert client.post("/v1/auth/token", data=data).status_code == 200
    response = client.post("/v1/auth/token", data=data)
    body = assert_problem(response, 401, "unauthenticated")
    assert body["detail"] == "invalid credentials"
    assert response.headers["www-authenticate"] == "Bearer"
    assert "access_token" not in response.text


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"password": "x"}, "username"),
        ({"username": "alice"}, "password"),
        ({"username": "alice", "password": "x", "grant_type": "client_credentials"}, "grant_type"),
        ({"username": "", "password": "x"}, "username"),
        ({"username": "alice", "password": "x", "totp": "1" * 17}, "totp"),
    ],
)
def test_bad_form_is_422_naming_the_field(
    client: TestClient, data: dict[str, str], field: str
) -> None:
    assert_problem(client.post("/v1/auth/token", data=data), 422, "invalid_input", field=field)


def test_login_is_recorded_in_the_audit_log(
    client: TestClient, make_officer: OfficerFactory, engine: Engine
) -> None:
    officer = make_officer()
    login_token(client, officer)
    with Session(engine) as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
    assert last is not None
    assert (last.action, last.actor, last.refs) == (
        "officer.login",
        f"officer:{officer.id}",
        {"officer": str(officer.id), "mfa": "no"},
    )


class TestRateLimit:
    def test_sixth_attempt_is_429_with_retry_after(
        self, client: TestClient, make_officer: OfficerFactory, clock: FakeClock
    ) -> None:
        officer = make_officer()
        bad = form(officer, password="wrong password")
        for _ in range(5):
            assert client.post("/v1/auth/token", data=bad).status_code == 401
            clock.advance(seconds=10)
        limited = client.post("/v1/auth/token", data=form(officer))  # even the right password
        assert_problem(limited, 429, "rate_limited")
        # The first failure was 50 s ago; it ages out of the 300 s window in 250 s.
        assert limited.headers["retry-after"] == "250"
        clock.advance(seconds=250)
        assert client.post("/v1/auth/token", data=form(officer)).status_code == 200

    def test_success_resets_the_count(
        self, client: TestClient, make_officer: OfficerFactory
    ) -> None:
        officer = make_officer()
        for _ in range(4):
            client.post("/v1/auth/token", data=form(officer, password="wrong password"))
        assert client.post("/v1/auth/token", data=form(officer)).status_code == 200
        for _ in range(4):
            client.post("/v1/auth/token", data=form(officer, password="wrong password"))
        assert client.post("/v1/auth/token", data=form(officer)).status_code == 200

    def test_limit_is_per_username_and_client(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        settings: IssuerSettings,
        engine: Engine,
        clock: FakeClock,
    ) -> None:
        officer, other = make_officer(), make_officer()
        for _ in range(5):
            client.post("/v1/auth/token", data=form(officer, password="wrong password"))
        assert client.post("/v1/auth/token", data=form(officer)).status_code == 429
        assert client.post("/v1/auth/token", data=form(other)).status_code == 200
        # The throttle lives on the app; a client at another address is counted separately.
        elsewhere = TestClient(client.app, client=("198.51.100.7", 40000))
        assert elsewhere.post("/v1/auth/token", data=form(officer)).status_code == 200

    def test_each_app_has_its_own_limiter(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        settings: IssuerSettings,
        engine: Engine,
        clock: FakeClock,
    ) -> None:
        officer = make_officer()
        for _ in range(5):
            client.post("/v1/auth/token", data=form(officer, password="wrong password"))
        fresh = TestClient(create_app(settings, engine=engine, clock=clock))
        assert fresh.post("/v1/auth/token", data=form(officer)).status_code == 200


class TestSessions:
    def test_no_or_bad_token_is_401(self, client: TestClient) -> None:
        for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic eDp5"}):
            response = client.get("/v1/auth/session", headers=headers)
            assert_problem(response, 401, "unauthenticated")
            assert response.headers["www-authenticate"] == "Bearer"

    def test_token_expires_after_fifteen_minutes(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions, clock: FakeClock
    ) -> None:
        headers = sessions.headers(make_officer())
        clock.advance(minutes=14, seconds=59)
        assert client.get("/v1/auth/session", headers=headers).status_code == 200
        clock.advance(seconds=1)
        assert_problem(client.get("/v1/auth/session", headers=headers), 401, "unauthenticated")

    def test_disabling_an_officer_ends_their_sessions_at_once(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        sessions: Sessions,
        engine: Engine,
        clock: FakeClock,
    ) -> None:
        officer = make_officer()
        headers = sessions.headers(officer)
        application = client.post("/v1/applications", json=application_body()).json()
        with session_scope(engine) as session:
            disable_officer(session=session, username=officer.username, actor="cli", now=clock())
        assert_problem(client.get("/v1/auth/session", headers=headers), 401, "unauthenticated")
        approve = client.post(
            f"/v1/applications/{application['application_id']}/approve",
            headers=headers,
            json={"reason": "documents complete"},
        )
        assert_problem(approve, 401, "unauthenticated")
        relogin = client.post("/v1/auth/token", data=form(officer))
        assert_problem(relogin, 401, "unauthenticated")

    def test_role_comes_from_the_database_not_the_token(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions, engine: Engine
    ) -> None:
        officer = make_officer("clerk")
        headers = sessions.headers(officer)
        with session_scope(engine) as session:
            row = session.get(Officer, officer.id)
            assert row is not None
            row.role = "auditor"
            session.add(row)
        assert client.get("/v1/auth/session", headers=headers).json()["role"] == "auditor"

    def test_a_totp_code_is_accepted_once_per_officer(
        self, client: TestClient, make_officer: OfficerFactory, clock: FakeClock
    ) -> None:
        officer = make_officer("supervisor")
        code = totp_now(officer.totp_secret, clock)
        assert client.post("/v1/auth/token", data=form(officer, totp=code)).status_code == 200
        assert client.post("/v1/auth/token", data=form(officer, totp=code)).status_code == 401
        next_totp_step(clock)
        fresh = totp_now(officer.totp_secret, clock)
        assert client.post("/v1/auth/token", data=form(officer, totp=fresh)).status_code == 200
