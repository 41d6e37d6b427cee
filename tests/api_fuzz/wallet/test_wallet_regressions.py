"""What schemathesis found on the wallet, pinned on both backends (docs/api-fuzzing.md).

On PostgreSQL, a username with a NUL (text columns refuse it) reached a query, an unhandled
``DataError`` (500): naming a helper in ``POST /v1/grants`` (found by the fuzzer), and logging
in (same lookup). A display name with a NUL would have failed the same way on insert.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from tests.wallet.conftest import PASSWORD, Holders

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

NAMES = ["helper\x00", "\x00\x1b^\n\xb5", "a\x00b"]


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["code"] == code
    return body


@pytest.mark.parametrize("name", NAMES)
def test_a_helper_name_no_account_can_have_is_404(
    client: TestClient, holders: Holders, name: str
) -> None:
    holder = holders("holder")
    response = client.post("/v1/grants", json={"helper_username": name}, headers=holder.headers)
    _problem(response, 404, "not_found")


@pytest.mark.parametrize("name", NAMES)
def test_a_login_name_no_account_can_have_is_401(
    client: TestClient, holders: Holders, name: str
) -> None:
    holders("holder")
    response = client.post("/v1/auth/login", data={"username": name, "password": PASSWORD})
    _problem(response, 401, "unauthenticated")


@pytest.mark.parametrize("display_name", ["Li\x00Mei", "bell\x07", "c1\x85inside"])
def test_a_display_name_with_a_control_character_is_422(
    client: TestClient, display_name: str
) -> None:
    body = {"username": "limei", "password": PASSWORD, "display_name": display_name}
    problem = _problem(client.post("/v1/accounts", json=body), 422, "invalid_input")
    assert problem["field"] == "display_name"
    body["display_name"] = "Li Mei"
    assert client.post("/v1/accounts", json=body).status_code == 201
