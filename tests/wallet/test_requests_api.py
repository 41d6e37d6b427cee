"""Verifier-bound requests (DESIGN §3): who asks for what, consent, direct_post with aud/nonce."""

from __future__ import annotations

import io
import secrets

import pytest
from fastapi.testclient import TestClient

from tests.wallet.conftest import Holders, receive
from tests.wallet.fake_issuer import PROFILES, RESPONSE_URI, FakeIssuer, verify_with
from wallet_api.qr import qr_png
from wire.errors import WrongAudience
from wire.vprequest import VerifierRequest, parse_vp_token_form


def _request(profile: str = "bank", claims: tuple[str, ...] | None = None) -> VerifierRequest:
    paths = claims if claims is not None else PROFILES[profile].claims
    return VerifierRequest(RESPONSE_URI, secrets.token_urlsafe(24), "state-1", profile, paths)


def test_preview_shows_the_verifier_and_the_claims(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    request = _request()
    preview = client.post(
        "/v1/requests/preview",
        json={"request": request.to_uri(), "permit_id": permit_id},
        headers=holder.headers,
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["verifier_origin"] == "http://127.0.0.1:9000"
    assert body["client_id"] == "redirect_uri:" + RESPONSE_URI
    assert body["profile"] == "bank"
    assert body["known_profile"] is True
    assert body["beyond_profile"] == []
    assert body["claims"]["id_number"] == "310104199003071229"
    assert fake.verifier_posts == []  # nothing is sent before consent
    assert client.get("/v1/history", headers=holder.headers).json() == []


def test_consent_posts_vp_token_with_the_verifiers_aud_and_nonce(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    request = _request("hospital")
    answer = client.post(
        "/v1/requests/respond",
        json={"request": request.to_uri(), "permit_id": permit_id, "consent": True},
        headers=holder.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["delivered"] is True
    assert answer.json()["verifier_status"] == 200
    [form] = fake.verifier_posts
    presentation, state = parse_vp_token_form(form)
    assert state == "state-1"
    verified = verify_with(
        fake, presentation, "hospital", audience=request.client_id, nonce=request.nonce
    )
    assert set(verified.all_claims) == {"name", "id_number", "endorsed_until"}
    with pytest.raises(WrongAudience):
        verify_with(
            fake,
            presentation,
            "hospital",
            audience="redirect_uri:https://other.example/r",
            nonce=request.nonce,
        )
    history = client.get("/v1/history", headers=holder.headers).json()
    assert [(h["profile"], h["channel"], h["audience"]) for h in history] == [
        ("hospital", "direct_post", request.client_id)
    ]


def test_no_consent_no_presentation(client: TestClient, holders: Holders, fake: FakeIssuer) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    answer = client.post(
        "/v1/requests/respond",
        json={"request": _request().to_uri(), "permit_id": permit_id, "consent": False},
        headers=holder.headers,
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "consent"
    assert fake.verifier_posts == []


def test_answer_as_qr_and_refusal_by_the_verifier(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    request = _request("agency")
    shown = client.post(
        "/v1/requests/respond",
        json={
            "request": request.to_uri(),
            "permit_id": permit_id,
            "consent": True,
            "delivery": "qr",
        },
        headers=holder.headers,
    ).json()
    assert shown["delivered"] is False
    assert fake.verifier_posts == []
    verify_with(fake, shown["qr_text"], "agency", audience=request.client_id, nonce=request.nonce)
    fake.verifier_answer = 400
    refused = client.post(
        "/v1/requests/respond",
        json={"request": _request().to_uri(), "permit_id": permit_id, "consent": True},
        headers=holder.headers,
    ).json()
    assert refused["delivered"] is False
    assert refused["verifier_status"] == 400


def test_request_beyond_its_profile_is_flagged(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    receive(client, holder, fake)
    greedy = _request("landlord", ("name", "id_number", "hukou_address"))
    body = client.post(
        "/v1/requests/preview", json={"request": greedy.to_uri()}, headers=holder.headers
    ).json()
    assert body["beyond_profile"] == ["id_number", "hukou_address"]
    assert body["claims"] is None


@pytest.mark.parametrize(
    "text",
    [
        "https://bank.example/request",
        "openid4vp://?client_id=x",
        _request().to_uri().replace("http%3A%2F%2F127.0.0.1", "http%3A%2F%2Fbank.example"),
        "openid4vp://" + "x" * 5000,
    ],
)
def test_bad_requests_are_refused(client: TestClient, holders: Holders, text: str) -> None:
    holder = holders()
    response = client.post("/v1/requests/preview", json={"request": text}, headers=holder.headers)
    assert response.status_code == 422


def test_scan_reads_a_request_qr_image(client: TestClient, holders: Holders) -> None:
    holder = holders()
    uri = _request().to_uri()
    scanned = client.post(
        "/v1/scan",
        files={"image": ("r.png", io.BytesIO(qr_png(uri)), "image/png")},
        headers=holder.headers,
    )
    assert scanned.json() == {"kind": "presentation_request", "text": uri}
    junk = client.post(
        "/v1/scan",
        files={"image": ("r.png", io.BytesIO(b"not an image"), "image/png")},
        headers=holder.headers,
    )
    assert junk.status_code == 422
    plain = client.post(
        "/v1/scan",
        files={"image": ("r.png", io.BytesIO(qr_png("hello")), "image/png")},
        headers=holder.headers,
    )
    assert plain.json() == {"kind": "unknown", "text": ""}
