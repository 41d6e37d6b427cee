"""What API fuzzing found on the issuer, pinned on both backends (docs/api-fuzzing.md).

* a list ``offset`` past SQLite's 64-bit integers was an unhandled ``OverflowError`` (500);
* on PostgreSQL, a NUL in an officer's ``reason`` (refused by text columns) and in the login
  ``username`` was an unhandled ``DataError`` (500);
* the upload schema said a JSON batch holds objects, while any row is accepted and a
  non-object one becomes a row error (a ``negative_data_rejection`` finding on the document).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from issuer.services.transitions import check_reason
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.issuer.batch_helpers import (
    EmployerHandle,
    employee,
    make_employer,
    upload,
    wait_for_batch,
)
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import assert_problem
from tests.issuer.wallet import issue_permit
from wire.errors import InvalidInput

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy.engine import Engine

HUGE = str(2**80)
NUL_REASON = {"reason": "checked\x00at the counter"}


def _submitted(client: TestClient, index: int) -> str:
    response = client.post("/v1/applications", json=employee(index))
    assert response.status_code == 201, response.text
    application_id: str = response.json()["application_id"]
    return application_id


@pytest.fixture
def employer(engine: Engine, settings: IssuerSettings, clock: FakeClock) -> EmployerHandle:
    return make_employer(engine, settings, clock)


@pytest.mark.parametrize("path", ["/v1/applications", "/v1/permits", "/v1/batches"])
def test_an_offset_past_the_database_integers_is_422(
    client: TestClient,
    sessions: Sessions,
    make_officer: OfficerFactory,
    employer: EmployerHandle,
    path: str,
) -> None:
    if path == "/v1/batches":
        headers = employer.headers
    else:
        headers = sessions.headers(make_officer("supervisor"))
    assert client.get(path, params={"offset": 1_000_000}, headers=headers).status_code == 200
    assert_problem(
        client.get(path, params={"offset": HUGE}, headers=headers),
        422,
        "invalid_input",
        field="offset",
    )


@pytest.mark.parametrize("move", ["approve", "reject"])
def test_a_reason_with_a_control_character_is_422_and_changes_nothing(
    client: TestClient, sessions: Sessions, make_officer: OfficerFactory, move: str
) -> None:
    headers = sessions.headers(make_officer("clerk"))
    application_id = _submitted(client, 1)
    response = client.post(
        f"/v1/applications/{application_id}/{move}", json=NUL_REASON, headers=headers
    )
    assert_problem(response, 422, "invalid_input", field="reason")
    after = client.get(f"/v1/applications/{application_id}", headers=headers).json()
    assert after["state"] == "submitted"
    ok = client.post(
        f"/v1/applications/{application_id}/{move}",
        json={"reason": "line one\nline two"},
        headers=headers,
    )
    assert ok.status_code == 200, ok.text


def test_a_permit_move_with_a_nul_reason_is_422(
    client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
) -> None:
    permit = issue_permit(client, sessions, make_officer, clock).permit_id
    headers = sessions.headers(make_officer("supervisor"), mfa=True)
    refused = client.post(f"/v1/permits/{permit}/suspend", json=NUL_REASON, headers=headers)
    assert_problem(refused, 422, "invalid_input", field="reason")
    assert client.get(f"/v1/permits/{permit}", headers=headers).json()["state"] == "active"


@pytest.mark.parametrize("reason", ["a\x00b", "bell\x07", "esc\x1b[0m", "c1\x85inside", "del\x7f"])
def test_check_reason_refuses_control_characters(reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_reason(reason)
    assert refused.value.field == "reason"


def test_check_reason_keeps_line_breaks_and_tabs() -> None:
    assert check_reason("  first\tsecond\r\nthird  ") == "first\tsecond\r\nthird"


@pytest.mark.parametrize("username", ["clerk\x00", "a\x00b", "\x00\x00\x00"])
def test_a_login_name_no_officer_can_have_is_401(
    client: TestClient, make_officer: OfficerFactory, username: str
) -> None:
    officer = make_officer()
    response = client.post(
        "/v1/auth/token", data={"username": username, "password": officer.password}
    )
    assert_problem(response, 401, "unauthenticated")


def test_a_json_batch_row_that_is_not_an_object_is_a_row_error(
    client: TestClient, employer: EmployerHandle
) -> None:
    response = upload(client, employer, json.dumps([employee(1), 7, ["x"]]), "application/json")
    assert response.status_code == 202, response.text
    status = wait_for_batch(client, employer, response.json()["id"])
    assert (status["state"], status["done"], status["failed"]) == ("done", 1, 2)
    assert [error["row"] for error in status["errors"]] == [2, 3]
