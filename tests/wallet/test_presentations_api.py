"""Presentations through the API: exactly the profile's claims, KB-JWT, QR images, history."""

from __future__ import annotations

import io
import uuid

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from tests.clock import FakeClock
from tests.wallet.conftest import Holders, receive
from tests.wallet.fake_issuer import PROFILES, FakeIssuer, verify_with
from wire.errors import Replayed, StalePresentation
from wire.presentation import QR_AUDIENCE
from wire.qrcodec import presentation_from_transport
from wire.sdjwt import split_presentation


def _leaves(claims: dict[str, object]) -> set[str]:
    out: set[str] = set()
    for name, value in claims.items():
        if isinstance(value, dict):
            out |= {f"{name}.{sub}" for sub in value}
        else:
            out.add(name)
    return out


def _expected(profile: str) -> set[str]:
    paths: set[str] = set()
    for path in PROFILES[profile].claims:
        if path == "residence_address":
            paths |= {
                "residence_address.region_code",
                "residence_address.district",
                "residence_address.street",
            }
        else:
            paths.add(path)
    return paths


@pytest.mark.parametrize("profile", ["landlord", "school"])
def test_presentation_discloses_exactly_the_profile_and_verifies(
    client: TestClient, holders: Holders, fake: FakeIssuer, profile: str
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    response = client.post(
        f"/v1/permits/{permit_id}/presentations", json={"profile": profile}, headers=holder.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["audience"] == QR_AUDIENCE
    assert body["qr_text"].startswith("RP1:")
    assert 30 <= body["refresh_seconds"] <= 60
    verified = verify_with(fake, body["qr_text"], profile)
    assert _leaves(verified.all_claims) == _expected(profile)
    assert "id_number" not in verified.all_claims
    assert presentation_from_transport(body["qr_text"]) == body["presentation"]


def test_preview_shows_what_will_be_disclosed(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    preview = client.get(
        f"/v1/permits/{permit_id}/presentations/landlord/preview", headers=holder.headers
    ).json()
    assert preview["claims"] == {
        "name": "李梅",
        "permit_class": "standard",
        "residence_address": {"district": "徐汇区"},
        "endorsed_until": "2027-03-02",
    }
    assert preview["audience"] == QR_AUDIENCE
    assert preview["verifier_bound"] is False
    bank = client.get(f"/v1/permits/{permit_id}/presentations/bank/preview", headers=holder.headers)
    assert bank.json()["audience"] is None
    assert bank.json()["verifier_bound"] is True
    assert "id_number" in bank.json()["claims"]


def test_each_refresh_has_a_fresh_nonce_and_the_verifier_refuses_a_replay(
    client: TestClient, holders: Holders, fake: FakeIssuer, clock: FakeClock
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    url = f"/v1/permits/{permit_id}/presentations"
    first = client.post(url, json={"profile": "landlord"}, headers=holder.headers).json()
    clock.advance(seconds=45)
    second = client.post(url, json={"profile": "landlord"}, headers=holder.headers).json()
    assert first["nonce"] != second["nonce"]
    assert second["iat"] == first["iat"] + 45
    # same copy for the same kind of verifier, another copy for another kind
    assert (
        split_presentation(first["presentation"]).issuer_jwt
        == split_presentation(second["presentation"]).issuer_jwt
    )
    school = client.post(url, json={"profile": "school"}, headers=holder.headers).json()
    assert (
        split_presentation(school["presentation"]).issuer_jwt
        != split_presentation(first["presentation"]).issuer_jwt
    )
    clock.advance(seconds=200)
    with pytest.raises(StalePresentation):
        verify_with(fake, first["qr_text"], "landlord")

    class Seen:
        def __init__(self) -> None:
            self.keys: set[str] = set()

        def seen(self, key: str, *, now: int) -> bool:
            return key in self.keys

        def add(self, key: str, *, now: int, ttl: int) -> bool:
            if key in self.keys:
                return False
            self.keys.add(key)
            return True

    from wire.verify import verify_presentation

    cache = Seen()
    fresh = client.post(url, json={"profile": "landlord"}, headers=holder.headers).json()
    for attempt in range(2):
        kwargs = {
            "directory": fake.trust_list(),
            "profile": PROFILES["landlord"],
            "now": fake.now(),
            "status_lookup": lambda issuer, *, uri, idx, now: 0,
            "uri_allowed": lambda uri, prefixes: True,
            "nonce_cache": cache,
        }
        if attempt == 0:
            verify_presentation(fresh["presentation"], **kwargs)  # type: ignore[arg-type]
        else:
            with pytest.raises(Replayed):
                verify_presentation(fresh["presentation"], **kwargs)  # type: ignore[arg-type]


def test_verifier_bound_profile_needs_the_verifiers_request(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    for profile in ("bank", "hospital", "agency"):
        response = client.post(
            f"/v1/permits/{permit_id}/presentations",
            json={"profile": profile},
            headers=holder.headers,
        )
        assert response.status_code == 409
        assert response.json()["code"] == "verifier_bound_profile"
        png = client.get(
            f"/v1/permits/{permit_id}/presentations/{profile}/qr.png", headers=holder.headers
        )
        assert png.status_code == 409


@pytest.mark.parametrize(("suffix", "media"), [("png", "image/png"), ("svg", "image/svg+xml")])
def test_qr_images_decode_to_a_valid_presentation(
    client: TestClient, holders: Holders, fake: FakeIssuer, suffix: str, media: str
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    response = client.get(
        f"/v1/permits/{permit_id}/presentations/landlord/qr.{suffix}", headers=holder.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == media
    assert response.headers["cache-control"] == "no-store"
    if suffix == "svg":
        assert response.content.lstrip().startswith(b"<?xml")
        assert b"<path" in response.content
        return
    image = Image.open(io.BytesIO(response.content)).convert("L")
    decoded = zxingcpp.read_barcodes(image)
    assert decoded
    assert decoded[0].text.startswith("RP1:")
    verify_with(fake, decoded[0].text, "landlord")


def test_unknown_profile_and_bad_input(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    url = f"/v1/permits/{permit_id}/presentations"
    assert client.post(url, json={"profile": "tax"}, headers=holder.headers).status_code == 404
    assert client.post(url, json={}, headers=holder.headers).status_code == 422
    extra = client.post(url, json={"profile": "landlord", "aud": "x"}, headers=holder.headers)
    assert extra.status_code == 422
    assert extra.json()["field"] == "aud"
    bad_id = client.post(
        "/v1/permits/not-a-uuid/presentations", json={"profile": "landlord"}, headers=holder.headers
    )
    assert bad_id.status_code == 422


def test_other_peoples_permits_are_not_found_and_leak_nothing(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    owner, stranger = holders(), holders()
    permit_id = receive(client, owner, fake)
    unknown = str(uuid.uuid4())
    for path in (
        "/v1/permits/{id}",
        "/v1/permits/{id}/presentations/landlord/preview",
        "/v1/permits/{id}/presentations/landlord/qr.png",
        "/v1/permits/{id}/presentations/landlord/qr.svg",
        "/v1/permits/{id}/paper",
        "/v1/permits/{id}/paper.pdf",
    ):
        theirs = client.get(path.format(id=permit_id), headers=stranger.headers)
        nobody = client.get(path.format(id=unknown), headers=stranger.headers)
        assert theirs.status_code == nobody.status_code == 404, path
        assert theirs.json()["detail"] == nobody.json()["detail"]
        assert "李梅" not in theirs.text
    post = client.post(
        f"/v1/permits/{permit_id}/presentations",
        json={"profile": "landlord"},
        headers=stranger.headers,
    )
    assert post.status_code == 404
    assert client.delete(f"/v1/permits/{permit_id}", headers=stranger.headers).status_code == 404
    assert (
        client.post(f"/v1/permits/{permit_id}/paper", headers=stranger.headers).status_code == 404
    )
    assert client.get("/v1/permits", headers=stranger.headers).json() == []
    assert client.get("/v1/history", headers=stranger.headers).json() == []


def test_history_records_who_which_profile_when_but_no_values(
    client: TestClient, holders: Holders, fake: FakeIssuer, clock: FakeClock
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    client.post(
        f"/v1/permits/{permit_id}/presentations",
        json={"profile": "landlord"},
        headers=holder.headers,
    )
    clock.advance(minutes=5)
    client.get(f"/v1/permits/{permit_id}/presentations/school/qr.svg", headers=holder.headers)
    client.get(f"/v1/permits/{permit_id}/presentations/school/preview", headers=holder.headers)
    rows = client.get("/v1/history", headers=holder.headers).json()
    assert [(r["profile"], r["channel"]) for r in rows] == [
        ("school", "qr_svg"),
        ("landlord", "qr"),
    ]
    assert all(r["audience"] == QR_AUDIENCE and r["actor"] == holder.username for r in rows)
    assert all(r["via_helper"] is False for r in rows)
    text = str(rows)
    assert "李梅" not in text
    assert "徐汇区" not in text
    assert client.get("/v1/history?limit=0", headers=holder.headers).status_code == 422


def test_deleting_a_permit_keeps_the_history(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    client.post(
        f"/v1/permits/{permit_id}/presentations",
        json={"profile": "landlord"},
        headers=holder.headers,
    )
    assert client.delete(f"/v1/permits/{permit_id}", headers=holder.headers).status_code == 204
    assert client.get("/v1/permits", headers=holder.headers).json() == []
    assert len(client.get("/v1/history", headers=holder.headers).json()) == 1
    assert client.delete(f"/v1/permits/{permit_id}", headers=holder.headers).status_code == 404
