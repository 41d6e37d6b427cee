"""OpenID4VCI 1.0: the pinned public surface, the spec constants and the OAuth error classes."""

from __future__ import annotations

import pytest

import wire.oid4vci as oid4vci
from wire.errors import PermitError
from wire.oid4vci import (
    CONFIGURATION_ID,
    FORMAT,
    PRE_AUTH_GRANT,
    PROOF_TYP,
    InvalidProof,
    InvalidToken,
    Oid4vciError,
)


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
