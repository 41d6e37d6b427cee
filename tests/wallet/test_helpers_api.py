"""Helper grants (帮办代办): present on someone's behalf, revocable, every use logged."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.clock import FakeClock
from tests.wallet.conftest import Holders, receive
from tests.wallet.fake_issuer import FakeIssuer, verify_with


def test_helper_presents_and_every_use_is_logged_until_revoked(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    grandma, grandson = holders("nainai"), holders("sunzi")
    permit_id = receive(client, grandma, fake)
    grant = client.post(
        "/v1/grants",
        json={
            "helper_username": "sunzi",
            "permit_id": permit_id,
            "profiles": ["landlord"],
            "days": 7,
        },
        headers=grandma.headers,
    )
    assert grant.status_code == 201, grant.text
    grant_id = grant.json()["id"]
    assert grant.json()["active"] is True
    assert grant.json()["profiles"] == ["landlord"]
    listed = client.get("/v1/permits", headers=grandson.headers).json()
    assert [(p["id"], p["delegated_by"]) for p in listed] == [(permit_id, "Nainai")]
    made = client.post(
        f"/v1/permits/{permit_id}/presentations",
        json={"profile": "landlord"},
        headers=grandson.headers,
    )
    assert made.status_code == 200
    verify_with(fake, made.json()["qr_text"], "landlord")
    school = client.post(
        f"/v1/permits/{permit_id}/presentations",
        json={"profile": "school"},
        headers=grandson.headers,
    )
    assert school.status_code == 403
    # what a helper may not do
    assert client.get(f"/v1/permits/{permit_id}", headers=grandson.headers).status_code == 404
    assert client.delete(f"/v1/permits/{permit_id}", headers=grandson.headers).status_code == 404
    assert (
        client.post(f"/v1/permits/{permit_id}/paper", headers=grandson.headers).status_code == 404
    )
    assert client.delete(f"/v1/grants/{grant_id}", headers=grandson.headers).status_code == 404
    assert client.get(f"/v1/grants/{grant_id}/uses", headers=grandson.headers).status_code == 404
    uses = client.get(f"/v1/grants/{grant_id}/uses", headers=grandma.headers).json()
    assert [(u["actor"], u["profile"], u["channel"]) for u in uses] == [("sunzi", "landlord", "qr")]
    history = client.get("/v1/history", headers=grandma.headers).json()
    assert history[0]["via_helper"] is True
    assert history[0]["actor"] == "sunzi"
    helper_view = client.get("/v1/history", headers=grandson.headers).json()
    assert helper_view[0]["holder"] == "nainai"
    received = client.get("/v1/grants/received", headers=grandson.headers).json()
    assert [g["holder"] for g in received] == ["nainai"]
    assert client.delete(f"/v1/grants/{grant_id}", headers=grandma.headers).status_code == 204
    assert client.delete(f"/v1/grants/{grant_id}", headers=grandma.headers).status_code == 204
    after = client.post(
        f"/v1/permits/{permit_id}/presentations",
        json={"profile": "landlord"},
        headers=grandson.headers,
    )
    assert after.status_code == 404
    assert client.get("/v1/permits", headers=grandson.headers).json() == []
    assert client.get("/v1/grants", headers=grandma.headers).json()[0]["active"] is False


def test_grant_expires(
    client: TestClient, holders: Holders, fake: FakeIssuer, clock: FakeClock
) -> None:
    owner, helper = holders(), holders()
    permit_id = receive(client, owner, fake)
    client.post(
        "/v1/grants", json={"helper_username": helper.username, "days": 1}, headers=owner.headers
    )
    url = f"/v1/permits/{permit_id}/presentations"
    assert client.post(url, json={"profile": "school"}, headers=helper.headers).status_code == 200
    clock.advance(days=1)
    helper = holders.login(helper.username)
    assert client.post(url, json={"profile": "school"}, headers=helper.headers).status_code == 404


def test_grant_input_is_checked(client: TestClient, holders: Holders, fake: FakeIssuer) -> None:
    owner, other = holders(), holders()
    permit_id = receive(client, owner, fake)
    foreign = receive(client, other, fake, permit_no="310104202600000009")
    cases = [
        ({"helper_username": "nobody"}, 404),
        ({"helper_username": owner.username}, 409),
        ({"helper_username": other.username, "profiles": ["tax"]}, 422),
        ({"helper_username": other.username, "days": 0}, 422),
        ({"helper_username": other.username, "days": 100000}, 422),
        ({"helper_username": other.username, "permit_id": foreign}, 404),
        ({"helper_username": other.username, "permit_id": "x"}, 422),
    ]
    for body, status in cases:
        response = client.post("/v1/grants", json=body, headers=owner.headers)
        assert response.status_code == status, (body, response.text)
    assert (
        client.post(
            "/v1/grants",
            json={"helper_username": other.username, "permit_id": permit_id},
            headers=owner.headers,
        ).status_code
        == 201
    )
