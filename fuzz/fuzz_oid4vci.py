"""atheris target: OpenID4VCI and OpenID4VP messages (wire/oid4vci, wire/vprequest.py).

The issuer parses what wallets send, the wallet parses what issuers and QR codes send, and the
verifier parses the wallet's ``direct_post``. Each parser documents the errors it answers with;
any other exception is a crash, and so is a key proof that binds a key other than its signer's.

Modes (first byte): 0 offer URI or text; 1 offer JSON; 2 token request form (the input as a
query string); 3 token response; 4 nonce response; 5 credential response; 6 credential request;
7 issuer metadata; 8 authorization server metadata; 9 key proofs (NUL-separated tokens);
10 a signed key proof (header JSON, NUL, claims JSON, signed here with a holder key);
11 ``openid4vp`` request URI; 12 ``direct_post`` form (the input as a query string).

Run: ``fuzz/run oid4vci 600`` (fuzz/README.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from urllib.parse import parse_qsl

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["wire"]):
    from fuzz_world import HOLDERS, Refused, expect, sign_raw, split_mode

    from wire.errors import InvalidInput, PermitError
    from wire.jwk import public_jwk, thumbprint
    from wire.oid4vci import (
        AuthorizationServerMetadata,
        CredentialOffer,
        CredentialRequest,
        CredentialResponse,
        InvalidCredentialOffer,
        InvalidCredentialRequest,
        InvalidEncryptionParameters,
        InvalidIssuerResponse,
        InvalidNonce,
        InvalidProof,
        InvalidRequest,
        IssuerMetadata,
        NonceResponse,
        TokenRequest,
        TokenResponse,
        UnknownCredentialConfiguration,
        UnknownCredentialIdentifier,
        UnsupportedGrantType,
        parse_offer_uri,
        verify_proofs,
    )
    from wire.vprequest import parse_request_uri, parse_vp_token_form

ISSUER = "https://permits.sh.example/issuer"
NOW = 1_750_000_000
NONCE = "c-nonce-0000000001"
_ISSUER_RESPONSE = (InvalidIssuerResponse,)
_REQUEST_ERRORS = (
    InvalidCredentialRequest,
    InvalidEncryptionParameters,
    UnknownCredentialIdentifier,
    UnknownCredentialConfiguration,
    InvalidProof,
)


def _text(rest: bytes) -> str:
    return rest.decode("utf-8", "surrogateescape")


def _pairs(rest: bytes) -> list[tuple[str, str]]:
    return parse_qsl(_text(rest), keep_blank_values=True)


def _proofs(tokens: list[str]) -> list[dict[str, str]] | Refused:
    return expect(
        (InvalidProof, InvalidNonce),
        lambda: verify_proofs(
            tokens,
            audience=ISSUER,
            now=NOW,
            nonce_valid=lambda nonce: nonce == NONCE,
            algorithms=("ES256", "EdDSA"),
        ),
    )


def _signed_proof(rest: bytes) -> None:
    holder = HOLDERS[rest[0] % 2] if rest else HOLDERS[0]
    header, _, claims = rest[1:].partition(b"\x00")
    jwks = _proofs([sign_raw(header, claims, holder)])
    if not isinstance(jwks, Refused):
        assert [thumbprint(j) for j in jwks] == [thumbprint(public_jwk(holder))], "foreign key"


def _parsers() -> list[tuple[tuple[type[PermitError], ...], Callable[[bytes], object]]]:
    return [
        ((InvalidCredentialOffer,), lambda b: parse_offer_uri(_text(b))),
        ((InvalidCredentialOffer,), CredentialOffer.from_json),
        ((InvalidRequest, UnsupportedGrantType), lambda b: TokenRequest.from_form(_pairs(b))),
        (_ISSUER_RESPONSE, TokenResponse.from_json),
        (_ISSUER_RESPONSE, NonceResponse.from_json),
        (_ISSUER_RESPONSE, lambda b: CredentialResponse.from_json(b, max_credentials=4)),
        (_REQUEST_ERRORS, lambda b: CredentialRequest.from_json(b, batch_size=4)),
        (_ISSUER_RESPONSE, lambda b: IssuerMetadata.from_json(b, credential_issuer=ISSUER)),
        (_ISSUER_RESPONSE, lambda b: AuthorizationServerMetadata.from_json(b, issuer=ISSUER)),
        ((), lambda b: _proofs(_text(b).split("\x00"))),
        ((), _signed_proof),
        ((InvalidInput,), lambda b: parse_request_uri(_text(b))),
        ((InvalidInput,), lambda b: parse_vp_token_form(dict(_pairs(b)))),
    ]


_PARSERS = _parsers()


def test_one_input(data: bytes) -> None:
    mode, rest = split_mode(data, len(_PARSERS))
    errors, parse = _PARSERS[mode]
    expect(errors, lambda: parse(rest))


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
