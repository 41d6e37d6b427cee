"""Plain helpers shared by the issuer tests: request bodies, ID numbers, login shortcuts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pyotp

from issuer.security import TOTP_PERIOD
from permit_cli.demo.applicants import (
    application_json,
    complete_id_number,
)

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.clock import FakeClock


@dataclass(frozen=True)
class OfficerHandle:
    id: uuid.UUID
    username: str
    password: str
    totp_secret: str


def id_number(birth: str = "19900307", *, sex: str = "F", region: str = "310104") -> str:
    """A GB 11643 citizen ID number with a correct check digit."""
    return complete_id_number(region + birth + "12" + ("1" if sex == "M" else "2"))


def application_body(**overrides: Any) -> dict[str, Any]:
    """A valid Shanghai application that the rules answer with ``permit``."""
    body = application_json(name="李梅", birth_date=date(1990, 3, 7), id_number=id_number())
    return body | overrides


def totp_now(secret: str, clock: FakeClock) -> str:
    return str(pyotp.TOTP(secret).at(clock()))


def login_token(client: TestClient, officer: OfficerHandle, *, totp: str | None = None) -> str:
    form = {"username": officer.username, "password": officer.password}
    if totp is not None:
        form["totp"] = totp
    response = client.post("/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def next_totp_step(clock: FakeClock) -> None:
    """Move past the current TOTP step, so the next code is not a replay."""
    clock.advance(seconds=TOTP_PERIOD)


def assert_problem(
    response: Any, status: int, code: str, *, field: str | None = None
) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status`` and ``code`` (and ``field``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:residence-permit:problem:{code}"
    assert body["title"]
    assert body["detail"]
    if field is not None:
        assert body["field"] == field
    return body
