"""``POST /v1/verify`` (DESIGN §6): accounts and profiles (DESIGN §7), cross-city trust, input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.verifier.service.conftest import Federation, TestClient
from wire.credential import CLAIM_NAMES
from wire.presentation import create_presentation
from wire.qrcodec import encode_qr_payload

LANDLORD_CLAIMS = {"name", "permit_class", "residence_address", "endorsed_until"}


def verify(
    client: TestClient,
    fed: Federation,
    presentation: str,
    account: str | None = "landlord",
    **body: Any,
) -> dict[str, Any]:
    headers = fed.auth(account) if account else {}
    response = client.post(
        "/v1/verify", json={"presentation": presentation, **body}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    result: dict[str, Any] = response.json()
    return result


def test_valid_landlord_presentation_is_the_design_result(
    client: TestClient, federation: Federation
) -> None:
    result = verify(client, federation, federation.present())
    assert result == {
        "valid": True,
        "reason": None,
        "issuer": federation.cities["sh"].iss,
        "profile": "landlord",
        "claims": {
            "name": "王小明",
            "permit_class": "standard",
            "residence_address": {"district": "浦东新区"},
            "endorsed_until": result["claims"]["endorsed_until"],
        },
        "status": "valid",
    }


def test_a_landlord_account_gets_only_landlord_claims(
    client: TestClient, federation: Federation
) -> None:
    """More was disclosed (the agency set): the landlord still sees only its four claims."""
    result = verify(client, federation, federation.present("agency"))
    assert result["valid"] is True
    assert set(result["claims"]) == LANDLORD_CLAIMS
    assert result["claims"]["residence_address"] == {"district": "浦东新区"}
    assert "id_number" not in json.dumps(result)


def test_a_missing_required_claim_is_insufficient_disclosure(
    client: TestClient, federation: Federation
) -> None:
    presentation = federation.present(paths=("name", "permit_class", "endorsed_until"))
    result = verify(client, federation, presentation)
    assert (result["valid"], result["reason"], result["claims"]) == (
        False,
        "insufficient_disclosure",
        {},
    )


def test_school_account_needs_the_whole_address(client: TestClient, federation: Federation) -> None:
    result = verify(client, federation, federation.present("landlord"), account="school")
    assert result["reason"] == "insufficient_disclosure"
    result = verify(client, federation, federation.present("school"), account="school")
    assert result["valid"] is True
    assert set(result["claims"]["residence_address"]) == {"region_code", "district", "street"}


@pytest.mark.parametrize("city", ["sz", "hz"])
def test_other_cities_permits_are_recognised(
    client: TestClient, federation: Federation, city: str
) -> None:
    """Cross-city recognition: every issuer of the trust list is trusted (DESIGN §5)."""
    result = verify(client, federation, federation.present(city=city))
    assert result["valid"] is True
    assert result["issuer"] == federation.cities[city].iss


def test_issuers_lists_the_trusted_cities(client: TestClient, federation: Federation) -> None:
    body = client.get("/v1/issuers").json()
    assert {(i["name"], i["region_code"]) for i in body["issuers"]} == {
        ("上海市公安局", "310000"),
        ("苏州市公安局", "320500"),
        ("杭州市公安局", "330100"),
    }


def test_any_account_sees_every_disclosed_claim(client: TestClient, federation: Federation) -> None:
    result = verify(client, federation, federation.present("agency"), account="any")
    assert result["valid"] is True
    assert set(result["claims"]) == set(CLAIM_NAMES)


def test_compact_qr_text_and_one_trailing_newline_are_accepted(
    client: TestClient, federation: Federation
) -> None:
    assert verify(client, federation, encode_qr_payload(federation.present()))["valid"] is True
    assert verify(client, federation, federation.present() + "\r\n")["valid"] is True


def test_paper_permit_is_valid_for_a_landlord_only(
    client: TestClient, federation: Federation
) -> None:
    paper = federation.issue(holder=False).serialized
    presentation = create_presentation(
        paper,
        ("name", "permit_class", "residence_address.district", "endorsed_until"),
        holder_key=None,
    )
    assert verify(client, federation, presentation)["valid"] is True
    assert verify(client, federation, presentation, account="any")["reason"] == (
        "holder_binding_missing"
    )


def test_verifier_bound_profiles_refuse_plain_verification(
    client: TestClient, federation: Federation
) -> None:
    """DESIGN §3: a bank accepts only answers to its own request (POST /v1/requests)."""
    for profile in ("bank", "hospital", "agency"):
        response = client.post(
            "/v1/verify",
            json={"presentation": federation.present(profile)},
            headers=federation.auth(profile),
        )
        assert response.status_code == 409
        assert response.json()["code"] == "verifier_bound_profile"


def test_account_and_profile_rules(client: TestClient, federation: Federation) -> None:
    presentation = federation.present()
    no_key = client.post("/v1/verify", json={"presentation": presentation})
    assert no_key.status_code == 401
    assert no_key.headers["www-authenticate"] == "Bearer"
    for header in ("Bearer pvk_wrong", "Basic abc", "pvk_x"):
        wrong = client.post(
            "/v1/verify", json={"presentation": presentation}, headers={"Authorization": header}
        )
        assert wrong.status_code == 401
    other = client.post(
        "/v1/verify",
        json={"presentation": presentation, "profile": "school"},
        headers=federation.auth("landlord"),
    )
    assert other.status_code == 403
    same = verify(client, federation, presentation, profile="landlord")
    assert same["valid"] is True
    unknown = client.post(
        "/v1/verify",
        json={"presentation": presentation, "profile": "tenant"},
        headers=federation.auth("landlord"),
    )
    assert (unknown.status_code, unknown.json()["field"]) == (422, "profile")


def test_open_profiles_need_no_key(federation: Federation) -> None:
    app = federation.app(open_profiles=("landlord", "school"))
    with TestClient(app) as client:
        anonymous = verify(client, federation, federation.present(), account=None)
        assert anonymous["valid"] is True
        assert anonymous["profile"] == "landlord"
        school = verify(
            client, federation, federation.present("school"), account=None, profile="school"
        )
        assert school["valid"] is True
        closed = client.post(
            "/v1/verify", json={"presentation": federation.present(), "profile": "any"}
        )
        assert closed.status_code == 401
        info = client.get("/v1/account").json()
        assert info["account"] is None
        assert [p["name"] for p in info["open_profiles"]] == ["landlord", "school"]


def test_account_info(client: TestClient, federation: Federation) -> None:
    info = client.get("/v1/account", headers=federation.auth("bank")).json()
    assert info["account"]["id"] == "bank-1"
    assert info["account"]["profile"]["name"] == "bank"
    assert info["account"]["profile"]["verifier_bound"] is True
    assert info["open_profiles"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "presentation"),
        ({"presentation": 5}, "presentation"),
        ({"presentation": ""}, "presentation"),
        ({"presentation": "x~", "extra": 1}, "extra"),
        ({"presentation": "x~", "profile": 3}, "profile"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, federation: Federation, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/verify", json=body, headers=federation.auth("landlord"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def test_non_json_body_is_422(client: TestClient, federation: Federation) -> None:
    response = client.post(
        "/v1/verify",
        content=b"presentation=abc",
        headers={**federation.auth("landlord"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_oversized_presentation_is_a_reason_and_oversized_body_is_413(
    client: TestClient, federation: Federation
) -> None:
    """Up to the body limit the pipeline answers ``payload_too_large`` (DESIGN §6); a body
    beyond 64 KiB is refused before it is read."""
    result = verify(client, federation, "a" * (20 * 1024) + "~")
    assert result["reason"] == "payload_too_large"
    response = client.post(
        "/v1/verify",
        json={"presentation": "a" * (70 * 1024)},
        headers=federation.auth("landlord"),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_chunked_oversized_body_is_413(client: TestClient, federation: Federation) -> None:
    def chunks() -> Any:
        for _ in range(80):
            yield b"x" * 1024

    response = client.post(
        "/v1/verify",
        content=chunks(),
        headers={**federation.auth("landlord"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
