"""Plain helpers shared by the issuer tests: a fake clock, request bodies, login shortcuts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyotp

from issuer.security import TOTP_PERIOD

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

#: 10:00 in Shanghai; far from a day boundary in both UTC and CST.
START = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)

#: Facts that earn a Shanghai permit (stable residence + contract + 6 months' insurance).
SHANGHAI_PERMIT_FACTS: dict[str, Any] = {
    "residence_months": 12,
    "intended_stay_days": 365,
    "housing": "rented_registered",
    "has_residence_proof": True,
    "employment": "contract",
    "has_business_license": False,
    "social_insurance_months_continuous": 6,
    "social_insurance_months_last_24": 6,
    "studying": False,
    "joining_hukou_relative": False,
    "meets_settlement_conditions": False,
    "minor_child_of_holder": False,
}
#: Facts that meet nothing: Shanghai answers ``registration``.
NOTHING_FACTS: dict[str, Any] = {
    **SHANGHAI_PERMIT_FACTS,
    "residence_months": 0,
    "intended_stay_days": 0,
    "housing": "none",
    "has_residence_proof": False,
    "employment": "none",
    "social_insurance_months_continuous": 0,
    "social_insurance_months_last_24": 0,
}
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class FakeClock:
    """An injectable clock (CONVENTIONS §5) that only moves when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class OfficerHandle:
    id: uuid.UUID
    username: str
    password: str
    totp_secret: str


def id_number(birth: str = "19900307", *, sex: str = "F", region: str = "310104") -> str:
    """A GB 11643 citizen ID number with a correct check digit."""
    sequence = "12" + ("1" if sex == "M" else "2")
    first17 = region + birth + sequence
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def application_body(**overrides: Any) -> dict[str, Any]:
    """A valid Shanghai application that the rules answer with ``permit``."""
    body: dict[str, Any] = {
        "jurisdiction": "shanghai",
        "name": "李梅",
        "sex": "F",
        "birth_date": "1990-03-07",
        "id_number": id_number(),
        "hukou_address": "安徽省合肥市蜀山区长江西路100号",
        "residence_address": {
            "region_code": "310104",
            "district": "徐汇区",
            "street": "漕溪北路88号",
        },
        "facts": dict(SHANGHAI_PERMIT_FACTS),
    }
    body.update(overrides)
    return body


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
