"""Records without personal data: one structured line per verification, never a claim value,
a presentation, a nonce or a key — checked with canary values present in every credential."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.verifier.service.conftest import CANARIES, Federation, TestClient
from tests.verifier.service.test_image_api import post_image, qr_photo
from tests.verifier.service.test_requests_api import bound_presentation, wallet_view
from verifier.service.records import RECORDS_LOGGER
from wire.qrcodec import encode_qr_payload
from wire.vprequest import vp_token_form

FIELDS = {"event", "time", "channel", "account", "profile", "issuer", "result", "reason"}


def records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == RECORDS_LOGGER]


def test_each_verification_is_recorded_without_personal_data(
    client: TestClient, federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every logger
    secrets_seen: list[str] = []

    def post(presentation: str, account: str = "landlord") -> None:
        secrets_seen.append(presentation)
        client.post(
            "/v1/verify", json={"presentation": presentation}, headers=federation.auth(account)
        )

    valid = federation.present()
    post(valid)
    post(valid)  # replayed
    post(federation.present(paths=("name",)))  # insufficient_disclosure
    post(federation.present("agency"), account="any")
    post("王小明~11010519900102123X~")  # canaries in the input itself: malformed
    photo = encode_qr_payload(federation.present())
    secrets_seen.append(photo)
    post_image(client, federation, qr_photo(photo))
    body = client.post("/v1/requests", headers=federation.auth("bank")).json()
    request = wallet_view(body)
    answer = bound_presentation(federation, request)
    secrets_seen += [answer, request.nonce, request.state]
    client.post(urlsplit(request.response_uri).path, data=vp_token_form(answer, request.state))
    client.get(body["status_url"], headers=federation.auth("bank"))
    client.post("/v1/verify", json={"presentation": 7}, headers=federation.auth("landlord"))

    lines = records(caplog)
    assert [(r["channel"], r["result"], r["reason"]) for r in lines] == [
        ("text", "valid", None),
        ("text", "rejected", "replayed"),
        ("text", "rejected", "insufficient_disclosure"),
        ("text", "valid", None),
        ("text", "rejected", "malformed"),
        ("image", "valid", None),
        ("request", "valid", None),
    ]
    assert all(set(r) == FIELDS for r in lines)
    assert lines[0]["issuer"] == federation.cities["sh"].iss
    assert lines[0]["account"] == "landlord-1"
    assert lines[-1]["account"] == "bank-1"
    assert lines[-1]["profile"] == "bank"
    assert lines[0]["time"].endswith("Z")

    everything = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {getattr(r, 'verification', '')}"
        for r in caplog.records
    )
    for canary in CANARIES:
        assert canary not in everything
    for secret in secrets_seen:
        for part in secret.split("~"):
            if len(part) >= 16:
                assert part not in everything
    for key in federation.keys.values():
        assert key not in everything


def test_records_can_be_switched_off(
    client: TestClient, federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=RECORDS_LOGGER)
    client.post(
        "/v1/verify",
        json={"presentation": federation.present()},
        headers=federation.auth("landlord"),
    )
    assert records(caplog) == []
