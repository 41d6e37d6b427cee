"""OpenID4VCI 1.0 protocol layer: every message both ways, every key-proof failure, spec vectors."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

import wire.oid4vci as oid4vci
from wire.credential import ADDRESS_CLAIMS, CLAIM_NAMES, VCT, end_of_day, issue_credential
from wire.encoding import b64u_encode, json_dumps
from wire.errors import Malformed, PermitError
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.jws import parse_compact
from wire.oid4vci import (
    CONFIGURATION_ID,
    FORMAT,
    PRE_AUTH_GRANT,
    PROOF_TYP,
    AuthorizationServerMetadata,
    CredentialOffer,
    CredentialOfferReference,
    CredentialRequest,
    CredentialResponse,
    InvalidCredentialOffer,
    InvalidCredentialRequest,
    InvalidEncryptionParameters,
    InvalidIssuerResponse,
    InvalidNonce,
    InvalidProof,
    InvalidRequest,
    InvalidToken,
    IssuerMetadata,
    NonceResponse,
    Oid4vciError,
    TokenRequest,
    TokenResponse,
    TxCode,
    UnknownCredentialConfiguration,
    UnknownCredentialIdentifier,
    UnsupportedGrantType,
    authorization_server_metadata,
    build_proof_jwt,
    hash_secret,
    hash_tx_code,
    issuer_metadata,
    jwt_vc_issuer_metadata,
    new_access_token,
    new_c_nonce,
    new_pre_authorized_code,
    new_secret,
    new_tx_code,
    parse_offer_json,
    parse_offer_uri,
    secret_matches,
    verify_proof_jwt,
    verify_proofs,
    well_known_url,
)

ISSUER = "https://permits.sh.example/issuer"
NOW = 1_750_000_000
NONCE = "wKI4LT17ac15ES9bw8ac4"
ALGS = frozenset({"ES256", "EdDSA"})

EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_EC_KEY = ec.generate_private_key(ec.SECP256R1())


# --- helpers ----------------------------------------------------------------------------------


def _sign_raw(header: dict[str, Any], payload: dict[str, Any], key: PrivateKey) -> str:
    """Compact JWS with the header exactly as given (sign_compact would fix ``alg``)."""
    signing_input = f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(payload))}"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        sig = key.sign(signing_input.encode())
    return f"{signing_input}.{b64u_encode(sig)}"


def _header(key: PrivateKey = EC_KEY, **changes: Any) -> dict[str, Any]:
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    header: dict[str, Any] = {"alg": alg, "typ": PROOF_TYP, "jwk": public_jwk(key)}
    header.update(changes)
    return {k: v for k, v in header.items() if v is not None}


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"aud": ISSUER, "iat": NOW, "nonce": NONCE}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


class NonceStore:
    """A stand-in for the issuer's nonce store that records every lookup."""

    def __init__(self, *valid: str) -> None:
        self.valid = set(valid or {NONCE})
        self.calls: list[str] = []

    def __call__(self, nonce: str) -> bool:
        self.calls.append(nonce)
        return nonce in self.valid


def _verify(token: str, store: NonceStore | None = None, **kwargs: Any) -> dict[str, str]:
    options: dict[str, Any] = {
        "audience": ISSUER,
        "now": NOW,
        "nonce_valid": store or NonceStore(),
        "algorithms": ALGS,
    }
    options.update(kwargs)
    return verify_proof_jwt(token, **options)


# --- public surface and errors ----------------------------------------------------------------


def test_public_surface_is_pinned() -> None:
    assert sorted(oid4vci.__all__) == sorted(
        [
            "AS_METADATA_SUFFIX",
            "CONFIGURATION_ID",
            "CREDENTIAL_ISSUER_SUFFIX",
            "DEFAULT_BATCH_SIZE",
            "ERROR_CLASSES",
            "FORMAT",
            "JWT_PROOF_TYPE",
            "JWT_VC_ISSUER_SUFFIX",
            "MAX_BODY_BYTES",
            "MAX_OFFER_CHARS",
            "MAX_PROOF_CHARS",
            "OFFER_SCHEME",
            "PRE_AUTH_GRANT",
            "PROOF_TYP",
            "AuthorizationServerMetadata",
            "CredentialOffer",
            "CredentialOfferReference",
            "CredentialRequest",
            "CredentialRequestDenied",
            "CredentialResponse",
            "InvalidClient",
            "InvalidCredentialOffer",
            "InvalidCredentialRequest",
            "InvalidEncryptionParameters",
            "InvalidGrant",
            "InvalidIssuerResponse",
            "InvalidNonce",
            "InvalidProof",
            "InvalidRequest",
            "InvalidToken",
            "IssuerMetadata",
            "NonceResponse",
            "Oid4vciError",
            "RandomBelow",
            "RandomBytes",
            "TokenRequest",
            "TokenResponse",
            "TxCode",
            "UnknownCredentialConfiguration",
            "UnknownCredentialIdentifier",
            "UnsupportedGrantType",
            "authorization_server_metadata",
            "build_proof_jwt",
            "credential_configuration",
            "hash_secret",
            "hash_tx_code",
            "issuer_metadata",
            "jwt_vc_issuer_metadata",
            "new_access_token",
            "new_c_nonce",
            "new_pre_authorized_code",
            "new_secret",
            "new_tx_code",
            "parse_offer_json",
            "parse_offer_uri",
            "secret_matches",
            "verify_proof_jwt",
            "verify_proofs",
            "well_known_url",
        ]
    )
    for name in oid4vci.__all__:
        assert hasattr(oid4vci, name), name


def test_constants_match_the_spec() -> None:
    assert PRE_AUTH_GRANT == "urn:ietf:params:oauth:grant-type:pre-authorized_code"
    assert PROOF_TYP == "openid4vci-proof+jwt"
    assert CONFIGURATION_ID == "residence_permit_sd_jwt"
    assert FORMAT == "dc+sd-jwt"
    assert oid4vci.OFFER_SCHEME == "openid-credential-offer"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("invalid_request", 400),
        ("invalid_client", 401),
        ("invalid_grant", 400),
        ("unsupported_grant_type", 400),
        ("invalid_token", 401),
        ("invalid_credential_request", 400),
        ("unknown_credential_configuration", 400),
        ("unknown_credential_identifier", 400),
        ("invalid_proof", 400),
        ("invalid_nonce", 400),
        ("invalid_encryption_parameters", 400),
        ("credential_request_denied", 400),
        ("invalid_credential_offer", 400),
        ("invalid_issuer_response", 502),
    ],
)
def test_error_classes_carry_code_and_status(code: str, status: int) -> None:
    cls = oid4vci.ERROR_CLASSES[code]
    error = cls()
    assert isinstance(error, Oid4vciError)
    assert isinstance(error, PermitError)
    assert error.code == error.error == code
    assert error.status == status
    body = error.to_json()
    assert body == {"error": code, "error_description": error.message}
    assert error.headers()["Cache-Control"] == "no-store"


def test_error_description_keeps_to_the_rfc_6749_character_set() -> None:
    error = InvalidProof('bad "proof" \\ with 中文 and\ttab')
    assert error.to_json()["error_description"] == "bad proof  with  andtab"


def test_invalid_token_carries_a_bearer_challenge() -> None:
    assert InvalidToken().headers()["WWW-Authenticate"] == 'Bearer error="invalid_token"'


# --- credential offer ----------------------------------------------------------------------------


OFFER = CredentialOffer(
    credential_issuer=ISSUER,
    pre_authorized_code="oaKazRN8I0IbtZ0C7JuMn5",
    tx_code=TxCode(input_mode="numeric", length=6, description="请输入短信中的6位验证码"),
)


def test_offer_json_has_the_spec_shape() -> None:
    assert OFFER.to_json() == {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {
            PRE_AUTH_GRANT: {
                "pre-authorized_code": "oaKazRN8I0IbtZ0C7JuMn5",
                "tx_code": {
                    "input_mode": "numeric",
                    "length": 6,
                    "description": "请输入短信中的6位验证码",
                },
            }
        },
    }


def test_offer_round_trips_through_uri_json_and_plain_text() -> None:
    uri = OFFER.to_uri()
    assert uri.startswith("openid-credential-offer://?credential_offer=%7B%22credential_issuer")
    assert parse_offer_uri(uri) == OFFER
    assert parse_offer_json(json.dumps(OFFER.to_json())) == OFFER
    assert parse_offer_json(OFFER.to_json()) == OFFER
    assert parse_offer_uri(json.dumps(OFFER.to_json(), ensure_ascii=False)) == OFFER
    assert parse_offer_uri(uri + "\r\n") == OFFER  # as a scanner may hand it over


def test_offer_without_tx_code_and_with_an_empty_tx_code() -> None:
    plain = CredentialOffer(ISSUER, "code-1")
    assert "tx_code" not in plain.to_json()["grants"][PRE_AUTH_GRANT]
    assert parse_offer_uri(plain.to_uri()) == plain
    empty = CredentialOffer(ISSUER, "code-1", TxCode())
    assert empty.to_json()["grants"][PRE_AUTH_GRANT]["tx_code"] == {}
    parsed = parse_offer_uri(empty.to_uri())
    assert isinstance(parsed, CredentialOffer)
    assert parsed.tx_code == TxCode()  # present-but-empty still demands a tx_code (§4.1.1)


def test_offer_to_a_wallet_endpoint() -> None:
    uri = OFFER.to_uri("https://wallet.example/offer")
    assert uri.startswith("https://wallet.example/offer?credential_offer=")
    assert parse_offer_uri(uri, schemes=frozenset({"https"})) == OFFER
    with pytest.raises(ValueError):
        OFFER.to_uri("https://wallet.example/offer?x=1")


def test_spec_example_offer_by_value_parses() -> None:
    # OpenID4VCI 1.0 §4.1.2, the native-app example, line breaks removed.
    uri = (
        "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22:%22https://"
        "credential-issuer.example.com%22,%22credential_configuration_ids%22:%5B%22org.iso."
        "18013.5.1.mDL%22%5D,%22grants%22:%7B%22urn:ietf:params:oauth:grant-type:pre-authori"
        "zed_code%22:%7B%22pre-authorized_code%22:%22oaKazRN8I0IbtZ0C7JuMn5%22,%22tx_code%22:"
        "%7B%22input_mode%22:%22text%22,%22description%22:%22Please%20enter%20the%20serial"
        "%20number%20of%20your%20physical%20drivers%20license%22%7D%7D%7D%7D"
    )
    offer = parse_offer_uri(uri)
    assert offer == CredentialOffer(
        credential_issuer="https://credential-issuer.example.com",
        pre_authorized_code="oaKazRN8I0IbtZ0C7JuMn5",
        tx_code=TxCode(
            input_mode="text",
            description="Please enter the serial number of your physical drivers license",
        ),
        credential_configuration_ids=("org.iso.18013.5.1.mDL",),
    )


def test_spec_example_offer_by_reference_gives_a_reference() -> None:
    # OpenID4VCI 1.0 §4.1.3.
    uri = (
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fserver%2Eexample%2Ecom"
        "%2Fcredential-offer%2FGkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    )
    assert parse_offer_uri(uri) == CredentialOfferReference(
        "https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    )


def test_offer_ignores_unknown_parameters_and_other_grants() -> None:
    obj = OFFER.to_json()
    obj["future_parameter"] = {"x": 1}
    obj["grants"]["authorization_code"] = {"issuer_state": "abc"}
    obj["grants"][PRE_AUTH_GRANT]["authorization_server"] = "https://as.example"
    uri = f"openid-credential-offer://?x=1&credential_offer={quote(json.dumps(obj))}"
    assert parse_offer_uri(uri) == OFFER


def test_loopback_http_issuer_only_when_allowed() -> None:
    local = CredentialOffer("http://127.0.0.1:8000/issuer", "code")
    with pytest.raises(InvalidCredentialOffer, match="https"):
        parse_offer_uri(local.to_uri())
    assert parse_offer_uri(local.to_uri(), allow_insecure_loopback=True) == local
    remote = dict(local.to_json(), credential_issuer="http://issuer.example")
    with pytest.raises(InvalidCredentialOffer):
        parse_offer_json(remote, allow_insecure_loopback=True)


def _offer_uri(obj: object) -> str:
    return f"openid-credential-offer://?credential_offer={quote(json.dumps(obj))}"


def _without_grants() -> dict[str, Any]:
    obj = OFFER.to_json()
    del obj["grants"]
    return obj


def _with(**changes: Any) -> dict[str, Any]:
    obj = OFFER.to_json()
    obj.update(changes)
    return obj


def _with_grant(**changes: Any) -> dict[str, Any]:
    obj = OFFER.to_json()
    obj["grants"][PRE_AUTH_GRANT].update(changes)
    return obj


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://issuer.example/?credential_offer=%7B%7D", "openid-credential-offer:// scheme"),
        ("openid4vp://?credential_offer=%7B%7D", "scheme"),
        ("openid-credential-offer:?credential_offer=%7B%7D", "scheme"),
        ("openid-credential-offer://", "exactly one"),
        ("openid-credential-offer://?credential_offer=%7B%7D&credential_offer=%7B%7D", "exactly"),
        (
            "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa",
            "exactly one",
        ),
        ("openid-credential-offer://?credential_offer", "malformed"),
        ("openid-credential-offer://?credential_offer=%FF", "malformed"),
        ("openid-credential-offer://?credential_offer=%7Bnot%20json", "not a strict JSON object"),
        ("openid-credential-offer://?credential_offer=%5B%5D", "not a strict JSON object"),
        ('{"credential_issuer": 1, "credential_issuer": 2}', "not a strict JSON object"),
        ("openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fa.example%2Fo", "https"),
        ("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example%23f", "https"),
        (_offer_uri(_without_grants()), "no grants"),
        (_offer_uri(_with(grants={})), "no grants"),
        (
            _offer_uri(_with(grants={"authorization_code": {"issuer_state": "x"}})),
            "authorization code flow is not supported",
        ),
        (_offer_uri(_with(grants=[])), "grants must be an object"),
        (_offer_uri(_with(grants={PRE_AUTH_GRANT: "code"})), "grant must be an object"),
        (_offer_uri(_with(grants={PRE_AUTH_GRANT: {}})), "pre-authorized_code"),
        (_offer_uri(_with_grant(**{"pre-authorized_code": ""})), "pre-authorized_code"),
        (_offer_uri(_with_grant(**{"pre-authorized_code": 7})), "pre-authorized_code"),
        (_offer_uri(_with(credential_issuer="http://issuer.example")), "https"),
        (_offer_uri(_with(credential_issuer="https://issuer.example/?q=1")), "query"),
        (_offer_uri(_with(credential_issuer="https://issuer.example/#f")), "fragment"),
        (_offer_uri(_with(credential_issuer="https://u@issuer.example/")), "https"),
        (_offer_uri(_with(credential_issuer=None)), "credential_issuer"),
        (_offer_uri(_with(credential_configuration_ids=[])), "non-empty array"),
        (_offer_uri(_with(credential_configuration_ids="x")), "non-empty array"),
        (_offer_uri(_with(credential_configuration_ids=["a", "a"])), "unique"),
        (_offer_uri(_with(credential_configuration_ids=[1])), "unique"),
        (_offer_uri(_with_grant(tx_code=[])), "tx_code must be an object"),
        (_offer_uri(_with_grant(tx_code={"input_mode": "pin"})), "input_mode"),
        (_offer_uri(_with_grant(tx_code={"length": True})), "length"),
        (_offer_uri(_with_grant(tx_code={"length": 0})), "length"),
        (_offer_uri(_with_grant(tx_code={"description": "x" * 301})), "300"),
        (_offer_uri(_with_grant(tx_code={"description": 5})), "description"),
        ("openid-credential-offer://?credential_offer=" + "a" * 9000, "too large"),
    ],
)
def test_malformed_offers_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidCredentialOffer, match=message) as info:
        parse_offer_uri(text)
    assert info.value.code == "invalid_credential_offer"


def test_offer_constructor_refuses_bad_values() -> None:
    with pytest.raises(ValueError):
        CredentialOffer("ftp://issuer.example", "code")
    with pytest.raises(ValueError):
        CredentialOffer(ISSUER, "")
    with pytest.raises(ValueError):
        CredentialOffer(ISSUER, "code", credential_configuration_ids=())
    with pytest.raises(ValueError):
        TxCode(length=-1)


_ids = st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4, unique=True)
_tx_codes = st.none() | st.builds(
    TxCode,
    input_mode=st.none() | st.sampled_from(["numeric", "text"]),
    length=st.none() | st.integers(1, 64),
    description=st.none() | st.text(min_size=1, max_size=300),
)


@given(
    issuer=st.sampled_from(
        [ISSUER, "https://issuer.example", "https://xn--fiqs8s.example:8443/a/b", "https://[::1]/"]
    ),
    code=st.text(min_size=1, max_size=200),
    tx_code=_tx_codes,
    ids=_ids,
)
def test_offer_round_trip_property(
    issuer: str, code: str, tx_code: TxCode | None, ids: list[str]
) -> None:
    offer = CredentialOffer(issuer, code, tx_code, tuple(ids))
    assert parse_offer_uri(offer.to_uri()) == offer
    assert parse_offer_json(json_dumps(offer.to_json())) == offer


# --- token endpoint -------------------------------------------------------------------------------


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


# --- credential endpoint -----------------------------------------------------------------------


def test_credential_request_round_trip_and_shape() -> None:
    request = CredentialRequest(proofs=("a.b.c", "d.e.f"))
    assert request.to_json() == {
        "credential_configuration_id": CONFIGURATION_ID,
        "proofs": {"jwt": ["a.b.c", "d.e.f"]},
    }
    assert CredentialRequest.from_json(json_dumps(request.to_json()), batch_size=5) == request
    extra = dict(request.to_json(), future_parameter=True)  # §8.2: unknown ones are ignored
    assert CredentialRequest.from_json(extra, batch_size=2) == request


def _request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credential_configuration_id": CONFIGURATION_ID,
        "proofs": {"jwt": ["a.b.c"]},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"[]", InvalidCredentialRequest, "JSON object"),
        (b"{", InvalidCredentialRequest, "JSON object"),
        (b" " * 70_000, InvalidCredentialRequest, "too large"),
        (_request(proof={"proof_type": "jwt", "jwt": "a.b.c"}), InvalidCredentialRequest, "proofs"),
        (
            {"format": "vc+sd-jwt", "vct": VCT, "proof": {"proof_type": "jwt", "jwt": "a.b.c"}},
            InvalidCredentialRequest,
            "credential_configuration_id",
        ),
        (_request(format="dc+sd-jwt"), InvalidCredentialRequest, "pre-1.0"),
        (
            _request(credential_response_encryption={"enc": "A128GCM"}),
            InvalidEncryptionParameters,
            None,
        ),
        (_request(credential_identifier="x"), InvalidCredentialRequest, "exclusive"),
        (
            _request(credential_identifier="x", credential_configuration_id=None),
            UnknownCredentialIdentifier,
            None,
        ),
        (_request(credential_configuration_id=None), InvalidCredentialRequest, "missing"),
        (_request(credential_configuration_id=5), InvalidCredentialRequest, "missing"),
        (_request(credential_configuration_id="mDL"), UnknownCredentialConfiguration, None),
        (_request(proofs=None), InvalidProof, "missing"),
        (_request(proofs=["a.b.c"]), InvalidProof, "exactly one"),
        (_request(proofs={}), InvalidProof, "exactly one"),
        (_request(proofs={"jwt": ["a.b.c"], "di_vp": [{}]}), InvalidProof, "exactly one"),
        (_request(proofs={"attestation": ["a.b.c"]}), InvalidProof, "only the jwt"),
        (_request(proofs={"jwt": []}), InvalidProof, "non-empty"),
        (_request(proofs={"jwt": "a.b.c"}), InvalidProof, "non-empty"),
        (_request(proofs={"jwt": ["a.b.c", 5]}), InvalidProof, "JWT string"),
        (_request(proofs={"jwt": ["a.b.c", ""]}), InvalidProof, "JWT string"),
        (_request(proofs={"jwt": ["x" * 9000]}), InvalidProof, "JWT string"),
        (_request(proofs={"jwt": ["a.b.c", "a.b.c"]}), InvalidProof, "twice"),
        (_request(proofs={"jwt": ["1.1.1", "2.2.2", "3.3.3"]}), InvalidProof, "batch_size"),
    ],
)
def test_bad_credential_requests_get_the_spec_error(
    body: Any, error: type[Oid4vciError], message: str | None
) -> None:
    with pytest.raises(error, match=message):
        CredentialRequest.from_json(body, batch_size=2)


def test_credential_request_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CredentialRequest.from_json(_request(), batch_size=0)


def test_credential_response_round_trip() -> None:
    response = CredentialResponse(("eyJ...~d1~", "eyJ...~d2~"))
    assert response.to_json() == {
        "credentials": [{"credential": "eyJ...~d1~"}, {"credential": "eyJ...~d2~"}]
    }
    assert (
        CredentialResponse.from_json(json_dumps(response.to_json()), max_credentials=2) == response
    )


@pytest.mark.parametrize(
    "body",
    [
        {"transaction_id": "8xLOxBtZp8", "interval": 3600},
        {"credentials": []},
        {"credentials": "x"},
        {"credentials": ["x"]},
        {"credentials": [{"credential": {"a": 1}}]},
        {"credentials": [{"credential": "a"}, {"credential": "b"}, {"credential": "c"}]},
    ],
)
def test_bad_credential_responses(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidIssuerResponse):
        CredentialResponse.from_json(body, max_credentials=2)


# --- key proofs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [EC_KEY, ED_KEY], ids=["ES256", "EdDSA"])
def test_proof_round_trip(key: PrivateKey) -> None:
    token = build_proof_jwt(holder_key=key, audience=ISSUER, nonce=NONCE, iat=NOW)
    jws = parse_compact(token, Malformed)
    assert jws.header == {
        "alg": "ES256" if key is EC_KEY else "EdDSA",
        "typ": PROOF_TYP,
        "jwk": public_jwk(key),
    }
    assert "d" not in jws.header["jwk"]
    assert jws.payload == {"aud": ISSUER, "iat": NOW, "nonce": NONCE}
    store = NonceStore()
    assert _verify(token, store) == public_jwk(key)
    assert store.calls == [NONCE]


def test_proof_with_client_id_carries_iss() -> None:
    token = build_proof_jwt(
        holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW, client_id="wallet-1"
    )
    assert _verify(token, client_id="wallet-1") == public_jwk(EC_KEY)
    with pytest.raises(InvalidProof, match="iss"):
        _verify(token)  # anonymous access: iss MUST be omitted (Appendix F.1)
    with pytest.raises(InvalidProof, match="iss"):
        _verify(token, client_id="wallet-2")


def test_spec_example_proof_verifies() -> None:
    # OpenID4VCI 1.0 Appendix F.1, the jwt proof example, line breaks removed.
    token = (
        "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwi"
        "Y3J2IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIs"
        "InkiOiJIc2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRw"
        "czovL2NyZWRlbnRpYWwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6Ikxh"
        "clJHU2JtVVBZdFJZTzZCUTR5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CW"
        "ayLEpqkAomlkLb9zioZoipdP-jvh1WlA"
    )
    jwk = verify_proof_jwt(
        token,
        audience="https://credential-issuer.example.com",
        now=1701960444,
        nonce_valid=NonceStore("LarRGSbmUPYtRYO6BQ4yn8"),
        algorithms={"ES256"},
    )
    assert jwk == {
        "kty": "EC",
        "crv": "P-256",
        "x": "nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4",
        "y": "HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY",
    }


def test_media_type_spelling_of_typ_is_accepted() -> None:
    # RFC 7515 §4.1.9: "application/" may be omitted and media types compare case-insensitively.
    for typ in ("application/openid4vci-proof+jwt", "OpenID4VCI-Proof+JWT"):
        assert _verify(_sign_raw(_header(typ=typ), _claims(), EC_KEY)) == public_jwk(EC_KEY)


def test_iat_window_edges_are_inclusive() -> None:
    assert _verify(_sign_raw(_header(), _claims(iat=NOW - 300), EC_KEY))
    assert _verify(_sign_raw(_header(), _claims(iat=NOW + 60), EC_KEY))
    assert _verify(_sign_raw(_header(), _claims(iat=NOW - 10), EC_KEY), max_age=10, leeway=0)


def _hs256_token() -> str:
    header = {"alg": "HS256", "typ": PROOF_TYP, "jwk": public_jwk(EC_KEY)}
    signing_input = f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(_claims()))}"
    mac = hmac.new(b"k" * 32, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64u_encode(mac)}"


def _none_token() -> str:
    header = {"alg": "none", "typ": PROOF_TYP, "jwk": public_jwk(EC_KEY)}
    return f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(_claims()))}.AA"


def _tampered_signature() -> str:
    token = _sign_raw(_header(), _claims(), EC_KEY)
    head, _, sig = token.rpartition(".")
    flipped = bytearray(sig.encode())
    flipped[5] = ord("A") if flipped[5] != ord("A") else ord("B")
    return f"{head}.{flipped.decode()}"


def _swapped_payload() -> str:
    good = _sign_raw(_header(), _claims(), EC_KEY).split(".")
    other = _sign_raw(_header(), _claims(nonce="other"), EC_KEY).split(".")
    return f"{good[0]}.{other[1]}.{good[2]}"


_ZERO_X = b64u_encode(bytes(32))  # small-order Ed25519 point (order 4)
_IDENTITY_X = b64u_encode(b"\x01" + bytes(31))  # the neutral element
_OFF_CURVE = dict(public_jwk(EC_KEY), y=public_jwk(OTHER_EC_KEY)["y"])

PROOF_FAILURES: list[tuple[str, Callable[[], str], str]] = [
    ("typ JWT", lambda: _sign_raw(_header(typ="JWT"), _claims(), EC_KEY), "typ"),
    ("typ kb+jwt", lambda: _sign_raw(_header(typ="kb+jwt"), _claims(), EC_KEY), "typ"),
    ("typ missing", lambda: _sign_raw(_header(typ=None), _claims(), EC_KEY), "typ"),
    ("alg none", _none_token, "alg"),
    ("alg HS256", _hs256_token, "alg"),
    ("alg missing", lambda: _sign_raw(_header(alg=None), _claims(), EC_KEY), "alg"),
    ("crit", lambda: _sign_raw(_header(crit=["exp"]), _claims(), EC_KEY), "critical"),
    ("jwk missing", lambda: _sign_raw(_header(jwk=None), _claims(), EC_KEY), "no jwk"),
    ("jwk not an object", lambda: _sign_raw(_header(jwk="k"), _claims(), EC_KEY), "no jwk"),
    (
        "jwk with d",
        lambda: _sign_raw(_header(jwk=dict(public_jwk(EC_KEY), d="AAAA")), _claims(), EC_KEY),
        "private",
    ),
    (
        "small-order Ed25519 x",
        lambda: _sign_raw(
            _header(ED_KEY, jwk={"kty": "OKP", "crv": "Ed25519", "x": _ZERO_X}), _claims(), ED_KEY
        ),
        "acceptable public key",
    ),
    (
        "identity Ed25519 x",
        lambda: _sign_raw(
            _header(ED_KEY, jwk={"kty": "OKP", "crv": "Ed25519", "x": _IDENTITY_X}),
            _claims(),
            ED_KEY,
        ),
        "acceptable public key",
    ),
    (
        "EC point off the curve",
        lambda: _sign_raw(_header(jwk=_OFF_CURVE), _claims(), EC_KEY),
        "acceptable",
    ),
    (
        "RSA jwk",
        lambda: _sign_raw(_header(jwk={"kty": "RSA", "n": "AQAB", "e": "AQAB"}), _claims(), EC_KEY),
        "acceptable",
    ),
    (
        "kid instead of jwk",
        lambda: _sign_raw(_header(jwk=None, kid="did:example:123#key-1"), _claims(), EC_KEY),
        "jwk only",
    ),
    ("kid and jwk", lambda: _sign_raw(_header(kid="key-1"), _claims(), EC_KEY), "jwk only"),
    ("x5c", lambda: _sign_raw(_header(x5c=["MIIB"]), _claims(), EC_KEY), "jwk only"),
    (
        "trust_chain",
        lambda: _sign_raw(_header(trust_chain=["e.y.J"]), _claims(), EC_KEY),
        "jwk only",
    ),
    (
        "key_attestation",
        lambda: _sign_raw(_header(key_attestation="a.b.c"), _claims(), EC_KEY),
        "jwk only",
    ),
    (
        "jwk alg differs",
        lambda: _sign_raw(_header(jwk=dict(public_jwk(EC_KEY), alg="EdDSA")), _claims(), EC_KEY),
        "signature algorithm",
    ),
    (
        "key type does not match alg",
        lambda: _sign_raw(_header(ED_KEY, alg="ES256"), _claims(), ED_KEY),
        "signature",
    ),
    (
        "signed by another key",
        lambda: _sign_raw(_header(jwk=public_jwk(OTHER_EC_KEY)), _claims(), EC_KEY),
        "signature",
    ),
    ("bad signature", _tampered_signature, "signature"),
    ("payload swapped", _swapped_payload, "signature"),
    ("wrong aud", lambda: _sign_raw(_header(), _claims(aud="https://evil.example"), EC_KEY), "aud"),
    ("aud array", lambda: _sign_raw(_header(), _claims(aud=[ISSUER]), EC_KEY), "aud"),
    ("aud missing", lambda: _sign_raw(_header(), _claims(aud=None), EC_KEY), "aud"),
    ("stale iat", lambda: _sign_raw(_header(), _claims(iat=NOW - 301), EC_KEY), "too old"),
    ("future iat", lambda: _sign_raw(_header(), _claims(iat=NOW + 61), EC_KEY), "future"),
    ("iat missing", lambda: _sign_raw(_header(), _claims(iat=None), EC_KEY), "iat"),
    ("iat a string", lambda: _sign_raw(_header(), _claims(iat=str(NOW)), EC_KEY), "iat"),
    ("iat a boolean", lambda: _sign_raw(_header(), _claims(iat=True), EC_KEY), "iat"),
    ("expired", lambda: _sign_raw(_header(), _claims(exp=NOW - 61), EC_KEY), "expired"),
    ("not yet valid", lambda: _sign_raw(_header(), _claims(nbf=NOW + 61), EC_KEY), "not yet"),
    ("nonce missing", lambda: _sign_raw(_header(), _claims(nonce=None), EC_KEY), "no nonce"),
    ("nonce empty", lambda: _sign_raw(_header(), _claims(nonce=""), EC_KEY), "no nonce"),
    ("nonce a number", lambda: _sign_raw(_header(), _claims(nonce=7), EC_KEY), "no nonce"),
    ("not a JWS", lambda: "not-a-jwt", "compact JWS"),
    ("two parts", lambda: "eyJhIjoxfQ.eyJhIjoxfQ", "compact JWS"),
    ("padded base64", lambda: _sign_raw(_header(), _claims(), EC_KEY) + "=", "compact JWS"),
    ("too long", lambda: "a" * 9000, "size"),
]


@pytest.mark.parametrize(
    ("make", "message"),
    [(m, msg) for _, m, msg in PROOF_FAILURES],
    ids=[n for n, _, _ in PROOF_FAILURES],
)
def test_proof_failures_are_invalid_proof(make: Callable[[], str], message: str) -> None:
    store = NonceStore()
    with pytest.raises(InvalidProof, match=message) as info:
        _verify(make(), store)
    assert info.value.error == "invalid_proof"
    assert store.calls == []  # a failed proof never consumes the nonce


def test_alg_outside_the_callers_allow_list() -> None:
    token = build_proof_jwt(holder_key=ED_KEY, audience=ISSUER, nonce=NONCE, iat=NOW)
    with pytest.raises(InvalidProof, match="alg"):
        _verify(token, algorithms={"ES256"})


def test_nonce_refused_by_the_store_is_invalid_nonce() -> None:
    token = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce="used-nonce", iat=NOW)
    store = NonceStore()
    with pytest.raises(InvalidNonce) as info:
        _verify(token, store)
    assert info.value.error == "invalid_nonce"
    assert store.calls == ["used-nonce"]


@pytest.mark.parametrize(
    "options",
    [
        {"algorithms": {"ES256", "none"}},
        {"algorithms": {"HS256"}},
        {"algorithms": set()},
        {"max_age": -1},
        {"leeway": -1},
    ],
)
def test_verifier_settings_are_checked(options: dict[str, Any]) -> None:
    token = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW)
    with pytest.raises(ValueError):
        _verify(token, **options)


def test_build_proof_refuses_missing_values() -> None:
    with pytest.raises(ValueError):
        build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce="", iat=NOW)


def test_batch_of_proofs_checks_the_shared_nonce_once() -> None:
    keys: list[PrivateKey] = [EC_KEY, ED_KEY, OTHER_EC_KEY]
    tokens = [build_proof_jwt(holder_key=k, audience=ISSUER, nonce=NONCE, iat=NOW) for k in keys]
    store = NonceStore()
    jwks = verify_proofs(tokens, audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    assert jwks == [public_jwk(k) for k in keys]
    assert store.calls == [NONCE]


def test_batch_refuses_a_key_twice_and_fails_whole() -> None:
    first = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW)
    again = build_proof_jwt(holder_key=EC_KEY, audience=ISSUER, nonce=NONCE, iat=NOW - 1)
    store = NonceStore()
    with pytest.raises(InvalidProof, match="same key"):
        verify_proofs([first, again], audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    bad = _sign_raw(_header(ED_KEY), _claims(aud="https://evil.example"), ED_KEY)
    with pytest.raises(InvalidProof, match="aud"):
        verify_proofs([first, bad], audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    with pytest.raises(InvalidProof):
        verify_proofs([], audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    with pytest.raises(TypeError):
        verify_proofs(first, audience=ISSUER, now=NOW, nonce_valid=store, algorithms=ALGS)
    assert store.calls == []


# --- metadata ---------------------------------------------------------------------------------


def _issuer_metadata(**changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "credential_issuer": ISSUER,
        "credential_endpoint": f"{ISSUER}/credential",
        "nonce_endpoint": f"{ISSUER}/nonce",
    }
    options.update(changes)
    return issuer_metadata(**options)


def test_issuer_metadata_has_the_required_members() -> None:
    metadata = _issuer_metadata(display=[{"name": "上海市公安局", "locale": "zh-CN"}])
    assert metadata["credential_issuer"] == ISSUER
    assert metadata["credential_endpoint"] == f"{ISSUER}/credential"
    assert metadata["nonce_endpoint"] == f"{ISSUER}/nonce"
    assert metadata["batch_credential_issuance"] == {"batch_size": oid4vci.DEFAULT_BATCH_SIZE}
    assert metadata["display"] == [{"name": "上海市公安局", "locale": "zh-CN"}]
    config = metadata["credential_configurations_supported"][CONFIGURATION_ID]
    assert config["format"] == "dc+sd-jwt"
    assert config["vct"] == VCT
    assert config["cryptographic_binding_methods_supported"] == ["jwk"]
    assert config["credential_signing_alg_values_supported"] == ["ES256"]
    assert config["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256", "EdDSA"]}
    }
    display = config["credential_metadata"]["display"]
    assert {d["locale"] for d in display} == {"zh-CN", "en"}
    assert all(d["name"] for d in display)
    json_dumps(metadata)  # serialisable as it stands


def test_issuer_metadata_claims_follow_the_credential() -> None:
    config = _issuer_metadata()["credential_configurations_supported"][CONFIGURATION_ID]
    paths = [c["path"] for c in config["credential_metadata"]["claims"]]
    assert [p[0] for p in paths if len(p) == 1] == list(CLAIM_NAMES)
    assert [p[1] for p in paths if len(p) == 2] == list(ADDRESS_CLAIMS)
    for claim in config["credential_metadata"]["claims"]:
        assert claim["mandatory"] is True
        assert {d["locale"] for d in claim["display"]} == {"zh-CN", "en"}


def test_batch_issuance_is_omitted_below_two() -> None:
    assert "batch_credential_issuance" not in _issuer_metadata(batch_size=1)
    assert _issuer_metadata(batch_size=2)["batch_credential_issuance"] == {"batch_size": 2}


@pytest.mark.parametrize(
    "changes",
    [
        {"credential_issuer": "http://issuer.example"},
        {"credential_issuer": f"{ISSUER}?tenant=1"},
        {"nonce_endpoint": "ftp://issuer.example/nonce"},
        {"batch_size": 0},
        {"credential_signing_algs": ["none"]},
        {"proof_signing_algs": []},
        {"proof_signing_algs": ["ES256", "ES256"]},
        {"display": [{"name": "a", "locale": "en"}, {"name": "b", "locale": "en"}]},
    ],
)
def test_issuer_metadata_refuses_bad_configuration(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _issuer_metadata(**changes)


def test_wallet_reads_issuer_metadata() -> None:
    parsed = IssuerMetadata.from_json(json_dumps(_issuer_metadata()), credential_issuer=ISSUER)
    assert parsed == IssuerMetadata(
        credential_issuer=ISSUER,
        credential_endpoint=f"{ISSUER}/credential",
        nonce_endpoint=f"{ISSUER}/nonce",
        batch_size=oid4vci.DEFAULT_BATCH_SIZE,
        proof_signing_algs=("ES256", "EdDSA"),
    )
    assert parsed.authorization_server == ISSUER
    single = IssuerMetadata.from_json(_issuer_metadata(batch_size=1), credential_issuer=ISSUER)
    assert single.batch_size == 1


def _tampered_metadata(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    metadata = _issuer_metadata()
    change(metadata)
    return metadata


def _config(metadata: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = metadata["credential_configurations_supported"][CONFIGURATION_ID]
    return config


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(credential_issuer=ISSUER + "/"),
        lambda m: m.update(credential_endpoint="http://issuer.example/credential"),
        lambda m: m.pop("credential_endpoint"),
        lambda m: m.update(batch_credential_issuance={"batch_size": 1}),
        lambda m: m.update(authorization_servers=[]),
        lambda m: m.update(credential_configurations_supported={}),
        lambda m: _config(m).update(format="mso_mdoc"),
        lambda m: _config(m).update(vct="urn:other"),
        lambda m: _config(m).update(cryptographic_binding_methods_supported=["cose_key"]),
        lambda m: _config(m).update(proof_types_supported={"attestation": {}}),
        lambda m: _config(m)["proof_types_supported"]["jwt"].update(
            proof_signing_alg_values_supported=[]
        ),
    ],
)
def test_wallet_refuses_unusable_issuer_metadata(change: Callable[[dict[str, Any]], None]) -> None:
    with pytest.raises(InvalidIssuerResponse):
        IssuerMetadata.from_json(_tampered_metadata(change), credential_issuer=ISSUER)


def test_authorization_server_metadata_round_trip() -> None:
    metadata = authorization_server_metadata(issuer=ISSUER, token_endpoint=f"{ISSUER}/token")
    assert metadata == {
        "issuer": ISSUER,
        "token_endpoint": f"{ISSUER}/token",
        "grant_types_supported": [PRE_AUTH_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }
    parsed = AuthorizationServerMetadata.from_json(json_dumps(metadata), issuer=ISSUER)
    assert parsed == AuthorizationServerMetadata(ISSUER, f"{ISSUER}/token", anonymous_access=True)
    with pytest.raises(InvalidIssuerResponse, match="issuer"):
        AuthorizationServerMetadata.from_json(metadata, issuer="https://other.example")
    no_grant = dict(metadata, grant_types_supported=["authorization_code"])
    with pytest.raises(InvalidIssuerResponse, match="pre-authorized"):
        AuthorizationServerMetadata.from_json(no_grant, issuer=ISSUER)
    minimal = {"issuer": ISSUER, "token_endpoint": f"{ISSUER}/token"}
    assert not AuthorizationServerMetadata.from_json(minimal, issuer=ISSUER).anonymous_access
    closed = authorization_server_metadata(
        issuer=ISSUER, token_endpoint=f"{ISSUER}/token", anonymous_access=False
    )
    assert "token_endpoint_auth_methods_supported" not in closed


def test_jwt_vc_issuer_metadata() -> None:
    key = dict(public_jwk(EC_KEY), kid=thumbprint(public_jwk(EC_KEY)))
    assert jwt_vc_issuer_metadata(ISSUER, {"keys": [key]}) == {
        "issuer": ISSUER,
        "jwks": {"keys": [key]},
    }
    bad: list[dict[str, Any]] = [
        {"keys": []},
        {"keys": [dict(key, d="AAAA")]},
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA"}]},
        {},
    ]
    for jwks in bad:
        with pytest.raises(ValueError):
            jwt_vc_issuer_metadata(ISSUER, jwks)


@pytest.mark.parametrize(
    ("identifier", "suffix", "url"),
    [
        # OpenID4VCI 1.0 §12.2.2 examples.
        (
            "https://issuer.example.com/tenant",
            oid4vci.CREDENTIAL_ISSUER_SUFFIX,
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant",
        ),
        (
            "https://tenant.issuer.example.com",
            oid4vci.CREDENTIAL_ISSUER_SUFFIX,
            "https://tenant.issuer.example.com/.well-known/openid-credential-issuer",
        ),
        # SD-JWT VC, JWT VC Issuer Metadata Request example; a terminating "/" is removed.
        (
            "https://example.com/tenant/1234/",
            oid4vci.JWT_VC_ISSUER_SUFFIX,
            "https://example.com/.well-known/jwt-vc-issuer/tenant/1234",
        ),
        (
            "http://127.0.0.1:8000/",
            oid4vci.AS_METADATA_SUFFIX,
            "http://127.0.0.1:8000/.well-known/oauth-authorization-server",
        ),
    ],
)
def test_well_known_urls(identifier: str, suffix: str, url: str) -> None:
    assert well_known_url(identifier, suffix) == url


# --- secrets ------------------------------------------------------------------------------------


def _counting_bytes() -> Callable[[int], bytes]:
    counter = iter(range(256))

    def randbytes(n: int) -> bytes:
        return bytes(next(counter) for _ in range(n))

    return randbytes


def test_secrets_use_the_injected_source() -> None:
    assert new_secret(randbytes=bytes) == "A" * 43
    assert new_pre_authorized_code(randbytes=_counting_bytes()) == b64u_encode(bytes(range(32)))
    assert new_c_nonce(randbytes=lambda n: b"\xff" * n) == "_" * 42 + "8"
    assert len(new_access_token()) == 43
    assert new_c_nonce() != new_c_nonce()


def test_secret_sources_are_checked() -> None:
    with pytest.raises(ValueError):
        new_secret(nbytes=8)
    with pytest.raises(ValueError):
        new_secret(randbytes=lambda n: bytes(n - 1))
    with pytest.raises(ValueError):
        new_tx_code(randbelow=lambda n: n)
    with pytest.raises(ValueError):
        new_tx_code(length=3)


def test_tx_codes_are_digits() -> None:
    digits: Iterator[int] = iter([4, 9, 3, 5, 3, 6])
    assert new_tx_code(randbelow=lambda n: next(digits)) == "493536"
    code = new_tx_code(length=8)
    assert len(code) == 8
    assert code.isascii()
    assert code.isdigit()


def test_hashes_for_storage() -> None:
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert secret_matches("abc", hash_secret("abc"))
    assert not secret_matches("abd", hash_secret("abc"))
    bound = hash_tx_code("493536", pre_authorized_code="code-1")
    assert len(bound) == 64
    assert bound == hash_tx_code("493536", pre_authorized_code="code-1")
    assert bound != hash_tx_code("493536", pre_authorized_code="code-2")
    assert bound != hash_secret("493536")


# --- the whole flow -----------------------------------------------------------------------------


CLAIMS: dict[str, Any] = {
    "permit_no": "310104202500001",
    "name": "张三",
    "sex": "M",
    "birth_date": "1990-01-01",
    "id_number": "11010519900101123X",
    "hukou_address": "北京市西城区",
    "residence_address": {"region_code": "310104", "district": "徐汇区", "street": "漕溪北路1号"},
    "permit_class": "standard",
    "issuing_authority": "上海市公安局徐汇分局",
    "first_issued": "2025-06-01",
    "endorsed_until": "2026-06-14",
    "age_over_18": True,
    "age_over_60": False,
}


def test_pre_authorized_flow_end_to_end() -> None:
    # Issuer: the officer approved; make an offer and remember only hashes.
    code, tx = new_pre_authorized_code(), new_tx_code()
    stored = {"code": hash_secret(code), "tx": hash_tx_code(tx, pre_authorized_code=code)}
    uri = CredentialOffer(ISSUER, code, TxCode("numeric", 6, "短信验证码")).to_uri()

    # Wallet: scan, ask the user for the tx_code, redeem the code.
    offer = parse_offer_uri(uri)
    assert isinstance(offer, CredentialOffer)
    form = TokenRequest(offer.pre_authorized_code, tx_code=tx).to_form()

    # Issuer token endpoint.
    request = TokenRequest.from_form(form)
    request.check_tx_code_presence(required=True)
    assert secret_matches(request.pre_authorized_code, stored["code"])
    assert request.tx_code is not None
    assert (
        hash_tx_code(request.tx_code, pre_authorized_code=request.pre_authorized_code)
        == (stored["tx"])
    )
    token = TokenResponse(access_token=new_access_token(), expires_in=300)

    # Wallet: token, nonce, three holder keys, three proofs.
    assert TokenResponse.from_json(json_dumps(token.to_json())) == token
    c_nonce = NonceResponse.from_json(json_dumps(NonceResponse(new_c_nonce()).to_json())).c_nonce
    keys: list[PrivateKey] = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    proofs = tuple(
        build_proof_jwt(holder_key=k, audience=offer.credential_issuer, nonce=c_nonce, iat=NOW)
        for k in keys
    )
    body = json_dumps(CredentialRequest(proofs).to_json())

    # Issuer credential endpoint: parse, verify, bind one copy per key.
    credential_request = CredentialRequest.from_json(body, batch_size=5)
    holder_jwks = verify_proofs(
        credential_request.proofs,
        audience=ISSUER,
        now=NOW + 5,
        nonce_valid=NonceStore(c_nonce),
        algorithms=ALGS,
    )
    signing_key = ec.generate_private_key(ec.SECP256R1())
    issued = [
        issue_credential(
            claims=CLAIMS,
            issuer=ISSUER,
            signing_key=signing_key,
            holder_jwk=jwk,
            status_uri="https://permits.sh.example/status/1",
            status_idx=i,
            iat=NOW,
            exp=end_of_day(date(2026, 6, 14)),
        ).serialized
        for i, jwk in enumerate(holder_jwks)
    ]
    response_body = json_dumps(CredentialResponse(tuple(issued)).to_json())

    # Wallet: three credentials, each bound to its own key.
    response = CredentialResponse.from_json(response_body, max_credentials=len(proofs))
    for credential, key in zip(response.credentials, keys, strict=True):
        payload = parse_compact(credential.split("~")[0], Malformed).payload
        assert payload["cnf"] == {"jwk": public_jwk(key)}
