"""Verifier-bound requests end to end (DESIGN §3; OpenID4VP 1.0 cross-device ``direct_post``).

The wallet side is played with the same wire functions the wallet uses: the request URI is
parsed with :func:`wire.vprequest.parse_request_uri` and the answer is built with
:func:`wire.vprequest.vp_token_form`.
"""

from __future__ import annotations

import io
import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from tests.verifier.service.conftest import PROFILES, Federation, TestClient
from wire.presentation import QR_AUDIENCE, create_presentation
from wire.vprequest import VerifierRequest, parse_request_uri, vp_token_form


def new_request(client: TestClient, fed: Federation, account: str = "bank") -> dict[str, Any]:
    response = client.post("/v1/requests", headers=fed.auth(account))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def wallet_view(body: dict[str, Any]) -> VerifierRequest:
    """What the holder's wallet reads from the QR: strictly parsed, as the wallet does."""
    return parse_request_uri(body["request_uri"], allow_insecure_loopback=True)


def answer(
    client: TestClient,
    request: VerifierRequest,
    presentation: str,
    *,
    state: str | None = None,
) -> tuple[int, dict[str, Any]]:
    path = urlsplit(request.response_uri).path
    response = client.post(path, data=vp_token_form(presentation, state or request.state))
    body: dict[str, Any] = response.json()
    return response.status_code, body


def bound_presentation(fed: Federation, request: VerifierRequest, **overrides: Any) -> str:
    arguments: dict[str, Any] = {"audience": request.client_id, "nonce": request.nonce}
    arguments.update(overrides)
    return fed.present(request.profile, paths=request.claims, **arguments)


def poll(client: TestClient, fed: Federation, body: dict[str, Any], account: str = "bank") -> Any:
    response = client.get(body["status_url"], headers=fed.auth(account))
    assert response.status_code == 200, response.text
    return response.json()


def test_create_answer_and_see_the_result(client: TestClient, federation: Federation) -> None:
    body = new_request(client, federation)
    request = wallet_view(body)
    assert request.profile == "bank"
    assert request.claims == PROFILES["bank"].claims
    assert request.client_id == body["client_id"]
    assert len(request.nonce) >= 43  # 256 bits
    assert poll(client, federation, body)["status"] == "pending"
    status, reply = answer(client, request, bound_presentation(federation, request))
    assert (status, reply) == (200, {"status": "accepted"})
    view = poll(client, federation, body)
    assert view["status"] == "valid"
    assert view["attempts"] == 1
    assert view["result"]["valid"] is True
    assert view["result"]["profile"] == "bank"
    assert set(view["result"]["claims"]) == {
        "name",
        "id_number",
        "residence_address",
        "endorsed_until",
    }


def test_answering_twice_is_replayed(client: TestClient, federation: Federation) -> None:
    body = new_request(client, federation)
    request = wallet_view(body)
    presentation = bound_presentation(federation, request)
    assert answer(client, request, presentation)[0] == 200
    status, reply = answer(client, request, presentation)
    assert (status, reply) == (400, {"error": "access_denied", "reason": "replayed"})
    # Another holder key answering the spent request is refused as well: one nonce, once.
    other = ec.generate_private_key(ec.SECP256R1())
    federation.holder, original = other, federation.holder
    federation.cities["sh"].credential = federation.issue("sh")
    status, reply = answer(client, request, bound_presentation(federation, request))
    federation.holder = original
    assert (status, reply["reason"]) == (400, "replayed")
    view = poll(client, federation, body)
    assert view["status"] == "valid"  # the first, valid answer stays the result
    assert view["attempts"] == 3


def test_a_nonce_the_verifier_did_not_issue_is_holder_binding_invalid(
    client: TestClient, federation: Federation
) -> None:
    body = new_request(client, federation)
    request = wallet_view(body)
    wrong = bound_presentation(federation, request, nonce=secrets.token_urlsafe(32))
    assert answer(client, request, wrong) == (
        400,
        {"error": "access_denied", "reason": "holder_binding_invalid"},
    )
    view = poll(client, federation, body)
    assert view["status"] == "rejected"
    assert view["result"]["reason"] == "holder_binding_invalid"
    assert view["result"]["claims"] == {}
    # The request stays open: the right answer is still accepted.
    assert answer(client, request, bound_presentation(federation, request))[0] == 200
    assert poll(client, federation, body)["status"] == "valid"


def test_an_in_person_qr_is_refused_by_a_bank(client: TestClient, federation: Federation) -> None:
    """The QR shown at a counter (aud urn:residence-permit:qr, the wallet's own nonce)."""
    body = new_request(client, federation)
    request = wallet_view(body)
    in_person = federation.present("bank")
    assert answer(client, request, in_person)[1]["reason"] == "holder_binding_invalid"
    with_nonce = bound_presentation(federation, request, audience=QR_AUDIENCE)
    assert answer(client, request, with_nonce)[1]["reason"] == "wrong_audience"
    plain = client.post(
        "/v1/verify",
        json={"presentation": in_person},
        headers=federation.auth("bank"),
    )
    assert plain.status_code == 409  # no request, no verification


def test_a_presentation_for_another_request_is_refused(
    client: TestClient, federation: Federation
) -> None:
    first = wallet_view(new_request(client, federation))
    second = wallet_view(new_request(client, federation))
    made_for_first = bound_presentation(federation, first)
    assert answer(client, second, made_for_first, state=second.state)[1]["reason"] == (
        "holder_binding_invalid"
    )


@pytest.mark.parametrize("profile", ["hospital", "agency", "landlord"])
def test_every_profile_can_use_requests(
    client: TestClient, federation: Federation, profile: str
) -> None:
    body = new_request(client, federation, profile)
    request = wallet_view(body)
    assert answer(client, request, bound_presentation(federation, request))[0] == 200
    assert poll(client, federation, body, profile)["result"]["profile"] == profile


def test_protocol_errors_answer_400(client: TestClient, federation: Federation) -> None:
    body = new_request(client, federation)
    request = wallet_view(body)
    presentation = bound_presentation(federation, request)
    path = urlsplit(request.response_uri).path
    cases: list[tuple[Any, str]] = [
        ({"data": vp_token_form(presentation, "wrong-state")}, "state_mismatch"),
        ({"data": {"vp_token": presentation, "state": request.state}}, "invalid_vp_token"),
        ({"data": {"state": request.state}}, "invalid_vp_token"),
        ({"json": vp_token_form(presentation, request.state)}, "unsupported_content_type"),
        (
            {
                "content": b"vp_token=a&vp_token=b&state=" + request.state.encode(),
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "invalid_form",
        ),
    ]
    for kwargs, expected in cases:
        response = client.post(path, **kwargs)
        assert (response.status_code, response.json()) == (
            400,
            {"error": "invalid_request", "reason": expected},
        )
    unknown = client.post("/v1/requests/nope/response", data=vp_token_form(presentation, "s"))
    assert unknown.json()["reason"] == "unknown_request"
    assert poll(client, federation, body)["status"] == "pending"  # none of it counted


def test_an_expired_request_is_closed(client: TestClient, federation: Federation) -> None:
    body = new_request(client, federation)
    request = wallet_view(body)
    presentation = bound_presentation(federation, request)
    federation.clock.advance(301)  # request_ttl_seconds = 300
    assert answer(client, request, presentation) == (
        400,
        {"error": "invalid_request", "reason": "request_expired"},
    )
    assert poll(client, federation, body)["status"] == "expired"


def test_requests_belong_to_their_account(client: TestClient, federation: Federation) -> None:
    body = new_request(client, federation)
    assert client.post("/v1/requests").status_code == 401
    other = client.get(body["status_url"], headers=federation.auth("hospital"))
    assert other.status_code == 404
    missing = client.get("/v1/requests/does-not-exist", headers=federation.auth("bank"))
    assert missing.status_code == 404
    png = client.get(body["status_url"] + "/qr.png", headers=federation.auth("hospital"))
    assert png.status_code == 404


def test_the_request_qr_holds_the_request_uri(client: TestClient, federation: Federation) -> None:
    body = new_request(client, federation)
    response = client.get(body["status_url"] + "/qr.png", headers=federation.auth("bank"))
    assert response.headers["content-type"] == "image/png"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)).convert("L"))
    assert found[0].text == body["request_uri"]
    assert body["qr_png"].startswith("data:image/png;base64,")


def test_the_answer_never_carries_claims(client: TestClient, federation: Federation) -> None:
    """The wallet's POST gets accepted/refused only; claims go to the verifier's page."""
    request = wallet_view(new_request(client, federation))
    status, reply = answer(client, request, bound_presentation(federation, request))
    assert status == 200
    assert "王小明" not in str(reply)


def test_a_paper_permit_cannot_answer_a_bank(client: TestClient, federation: Federation) -> None:
    request = wallet_view(new_request(client, federation))
    paper = federation.issue(holder=False).serialized
    presentation = create_presentation(paper, request.claims, holder_key=None)
    assert answer(client, request, presentation)[1]["reason"] == "holder_binding_missing"
