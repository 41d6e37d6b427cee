"""OpenID4VCI 1.0 §6-§7: token requests and responses (pre-authorized code, ``tx_code``) and
the nonce endpoint's response.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.oid4vci_helpers import NONCE
from wire.encoding import json_dumps
from wire.oid4vci import (
    PRE_AUTH_GRANT,
    InvalidIssuerResponse,
    InvalidRequest,
    NonceResponse,
    Oid4vciError,
    TokenRequest,
    TokenResponse,
    UnsupportedGrantType,
)


def test_token_request_round_trips_through_form_fields() -> None:
    for request in (
        TokenRequest("code-1"),
        TokenRequest("code-1", tx_code="493536"),
        TokenRequest("code-1", tx_code="493536", client_id="wallet-1"),
    ):
        assert TokenRequest.from_form(request.to_form()) == request
        assert TokenRequest.from_form(list(request.to_form().items())) == request
    assert TokenRequest("c", tx_code="1").to_form() == {
        "grant_type": PRE_AUTH_GRANT,
        "pre-authorized_code": "c",
        "tx_code": "1",
    }


def test_token_request_ignores_unknown_fields_and_empty_values() -> None:
    fields = {
        "grant_type": PRE_AUTH_GRANT,
        "pre-authorized_code": "code-1",
        "tx_code": "",  # RFC 6749 §3.1: a parameter without a value is omitted
        "authorization_details": "[]",
    }
    assert TokenRequest.from_form(fields) == TokenRequest("code-1")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"pre-authorized_code": "c"}, InvalidRequest),
        ({"grant_type": "", "pre-authorized_code": "c"}, InvalidRequest),
        ({"grant_type": "authorization_code", "code": "c"}, UnsupportedGrantType),
        ({"grant_type": "client_credentials"}, UnsupportedGrantType),
        ({"grant_type": PRE_AUTH_GRANT}, InvalidRequest),
        ({"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": "c" * 1025}, InvalidRequest),
        (
            {"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": "c", "tx_code": "1" * 65},
            InvalidRequest,
        ),
        ({"grant_type": PRE_AUTH_GRANT, "pre-authorized_code": ["c"]}, InvalidRequest),
        (
            [
                ("grant_type", PRE_AUTH_GRANT),
                ("pre-authorized_code", "a"),
                ("pre-authorized_code", "b"),
            ],
            InvalidRequest,
        ),
    ],
)
def test_bad_token_requests(fields: Any, error: type[Oid4vciError]) -> None:
    with pytest.raises(error):
        TokenRequest.from_form(fields)


def test_tx_code_presence_follows_the_offer() -> None:
    TokenRequest("c", tx_code="123456").check_tx_code_presence(required=True)
    TokenRequest("c").check_tx_code_presence(required=False)
    with pytest.raises(InvalidRequest, match="required"):
        TokenRequest("c").check_tx_code_presence(required=True)
    with pytest.raises(InvalidRequest, match="does not use"):
        TokenRequest("c", tx_code="123456").check_tx_code_presence(required=False)


def test_token_response_round_trip() -> None:
    response = TokenResponse(access_token="czZCaGRSa3F0MzpnWDFmQmF0M2JW", expires_in=300)
    assert response.to_json() == {
        "access_token": "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
        "token_type": "Bearer",
        "expires_in": 300,
    }
    assert TokenResponse.from_json(json_dumps(response.to_json())) == response
    lower = {"access_token": "t", "token_type": "bearer", "expires_in": 1, "c_nonce": "old"}
    assert TokenResponse.from_json(lower).access_token == "t"


@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "Bearer", "expires_in": 1},
        {"access_token": "t", "token_type": "DPoP", "expires_in": 1},
        {"access_token": "t", "expires_in": 1},
        {"access_token": "t", "token_type": "Bearer", "expires_in": True},
        {"access_token": "t", "token_type": "Bearer", "expires_in": 0},
        {"access_token": "t", "token_type": "Bearer"},
        b"not json",
        b'{"access_token": "a", "access_token": "b"}',
    ],
)
def test_bad_token_responses(body: Any) -> None:
    with pytest.raises(InvalidIssuerResponse):
        TokenResponse.from_json(body)


def test_nonce_response_round_trip() -> None:
    response = NonceResponse(NONCE)
    assert response.to_json() == {"c_nonce": NONCE}
    assert NonceResponse.from_json(b'{"c_nonce": "wKI4LT17ac15ES9bw8ac4"}') == response
    for body in ({}, {"c_nonce": 1}, {"c_nonce": ""}, {"c_nonce": "x" * 257}):
        with pytest.raises(InvalidIssuerResponse):
            NonceResponse.from_json(body)
