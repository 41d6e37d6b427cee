"""Token Status List (draft-ietf-oauth-status-list-20): the referenced token and its list, together.

``tests/wire/test_statuslist_vectors.py`` already covers the encoding vectors (1/2/4/8 bits, decode
and encode) and the Status List Token example on its own. This module covers what needs both
halves: the Sect. 6.2 SD-JWT that references index 0 of ``https://example.com/statuslists/1``
and the Sect. 8.2 token for that list, which together say INVALID; and the same spec token
driving the full verifier's status step through a :class:`~wire.verify.StatusLookup`.

Not used: ``cwt_examples.json`` and the CBOR forms (this project is JOSE only, DESIGN §4).
The referenced SD-JWT cannot go through the full verifier itself: it has no ``kid``
(``unknown_key``, DESIGN §5) and no ``vct`` (``wrong_type``); the end-to-end tests below use a
permit credential of ours that points at the spec's list instead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conformance.harness import (
    StaticDirectory,
    StaticIssuer,
    assert_json_equal,
    load_vector_json,
    public_key_from_jwk,
    uri_allowed,
    verified_issuer_jwt,
)
from tests.permit_claims import permit_claims
from wire.credential import end_of_day, issue_credential
from wire.errors import StatusInvalid
from wire.jwk import PublicKey, public_jwk, thumbprint
from wire.presentation import create_presentation
from wire.profiles import Profile
from wire.sdjwt import process_payload, split_presentation
from wire.statuslist import INVALID, VALID, status_at, verify_status_list_token
from wire.verify import IssuerTrust, VerificationResult, check_presentation

REFERENCED: dict[str, Any] = load_vector_json(
    "token-status-list/referenced_token_sd_jwt_example.json"
)
TOKEN_EXAMPLE: dict[str, Any] = load_vector_json(
    "token-status-list/status_list_token_jwt_example.json"
)
RFC9901: dict[str, Any] = load_vector_json("sd-jwt-rfc9901/spec_examples.json")
TOKEN: str = TOKEN_EXAMPLE["status_list_token_jwt"]
TOKEN_PAYLOAD: dict[str, Any] = TOKEN_EXAMPLE["payload"]
STATUS_KEY = public_key_from_jwk(TOKEN_EXAMPLE["status_issuer_public_jwk"])
STATUS_KID: str = TOKEN_EXAMPLE["header"]["kid"]
#: Inside the token's validity (iat 2023-06-16, exp 2042-08-14) and the permits' below.
NOW = 1_790_000_000
MAX_BYTES = 1024 * 1024
LIST_URI = "https://example.com/statuslists/1"
#: The list holds 16 one-bit entries (2 bytes).
DECODED: list[int] = TOKEN_EXAMPLE["decoded_statuses"]


def _spec_token(resolve_key: Any, uri: str, now: int = NOW) -> Any:
    return verify_status_list_token(
        TOKEN,
        resolve_key=resolve_key,
        expected_sub=uri,
        now=now,
        algorithms={"ES256"},
        max_bytes=MAX_BYTES,
        issuer=TOKEN_PAYLOAD["iss"],
    )


def test_referenced_token_and_status_list_token_together_are_invalid() -> None:
    """Sect. 6.2 + 8.2: the SD-JWT verifies with the RFC 9901 A.5 key, its status reference
    names index 0 of the list that the Sect. 8.2 token (signed by the status key, ``kid``
    ``12``) publishes, and that entry is 1: INVALID."""
    parts = split_presentation(REFERENCED["sd_jwt"])
    jws = verified_issuer_jwt(parts.issuer_jwt, public_key_from_jwk(RFC9901["issuer_public_jwk"]))
    assert_json_equal(jws.header, REFERENCED["issuer_jwt_header"])
    assert_json_equal(jws.payload, REFERENCED["issuer_jwt_payload"])
    claims, _ = process_payload(jws.payload, parts.disclosures)
    assert_json_equal(claims, REFERENCED["processed_payload"])

    reference = claims["status"]["status_list"]
    assert reference == {"idx": 0, "uri": LIST_URI}
    token = _spec_token({STATUS_KID: STATUS_KEY}.get, reference["uri"])
    assert token.sub == reference["uri"] == TOKEN_PAYLOAD["sub"]
    assert status_at(token, reference["idx"]) == INVALID
    assert status_at(token, reference["idx"]) == TOKEN_EXAMPLE["expected"]["status_of_idx_0"]
    # The JOSE referenced-token example of the same file points at the same entry.
    jose_reference = TOKEN_EXAMPLE["referenced_token_jose_example"]["payload"]["status"]
    assert jose_reference["status_list"] == reference


def test_the_credential_issuers_key_does_not_sign_the_spec_list() -> None:
    """The two spec halves are signed by different keys (A.5 vs. the status-list example key),
    so the token is accepted only when the trust entry holds both, as DESIGN §4 requires of a
    real issuer's ``jwks``."""
    issuer_key = public_key_from_jwk(RFC9901["issuer_public_jwk"])
    with pytest.raises(StatusInvalid):
        _spec_token({STATUS_KID: issuer_key}.get, LIST_URI)


# --- the full verifier's status step, fed by the spec token ---------------------------------

ISSUER_PRIVATE = ec.generate_private_key(ec.SECP256R1())
HOLDER_PRIVATE = ec.generate_private_key(ec.SECP256R1())
ISSUER_KID = thumbprint(public_jwk(ISSUER_PRIVATE))
#: The spec token's ``iss``: the permit issuer is made the same party so that DESIGN §4 holds
#: (the status list is signed by a key of the credential issuer's own trust entry).
ISS: str = TOKEN_PAYLOAD["iss"]
PROFILE = Profile("conformance", (), paper=False, verifier_bound=False)
CLAIMS: dict[str, Any] = permit_claims(date(2027, 12, 31))


class SpecListLookup:
    """A StatusLookup that answers from the spec's Status List Token, verified each time with
    the keys of the credential issuer's trust entry (as the verifier service would)."""

    def __init__(self) -> None:
        self.uris: list[str] = []

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        self.uris.append(uri)
        token = verify_status_list_token(
            TOKEN,
            resolve_key=issuer.key,
            expected_sub=uri,
            now=now,
            algorithms={"ES256"},
            max_bytes=MAX_BYTES,
            issuer=issuer.iss,
        )
        return status_at(token, idx)


def _directory(*, with_status_key: bool = True) -> StaticDirectory:
    keys: dict[str, PublicKey] = {ISSUER_KID: ISSUER_PRIVATE.public_key()}
    if with_status_key:
        keys[STATUS_KID] = STATUS_KEY
    return StaticDirectory([StaticIssuer(ISS, keys, ("https://example.com/statuslists/",))])


def _check(
    idx: int, *, uri: str = LIST_URI, directory: StaticDirectory | None = None
) -> VerificationResult:
    credential = issue_credential(
        claims=CLAIMS,
        issuer=ISS,
        signing_key=ISSUER_PRIVATE,
        holder_jwk=public_jwk(HOLDER_PRIVATE),
        status_uri=uri,
        status_idx=idx,
        iat=NOW - 86_400,
        exp=end_of_day(date(2027, 12, 31)),
    )
    presentation = create_presentation(
        credential.serialized, ["name"], holder_key=HOLDER_PRIVATE, nonce="n-1", iat=NOW
    )
    return check_presentation(
        presentation,
        profile=PROFILE,
        directory=directory or _directory(),
        now=NOW,
        status_lookup=SpecListLookup(),
        uri_allowed=uri_allowed,
    )


@pytest.mark.parametrize("idx", range(len(DECODED)))
def test_every_entry_of_the_spec_list_decides_the_permit(idx: int) -> None:
    result = _check(idx)
    if DECODED[idx] == VALID:
        assert (result.valid, result.reason, result.status) == (True, None, "valid")
        assert result.claims == {"name": CLAIMS["name"]}
    else:
        assert DECODED[idx] == INVALID
        assert (result.valid, result.reason, result.status, result.claims) == (
            False,
            "revoked",
            "revoked",
            {},
        )


def test_index_outside_the_spec_list_is_status_invalid() -> None:
    """The list has exactly 16 entries; index 16 is outside it (DESIGN §4)."""
    assert len(DECODED) == 16
    result = _check(16)
    assert (result.valid, result.reason) == (False, "status_invalid")


def test_status_key_must_be_in_the_issuers_trust_entry() -> None:
    result = _check(1, directory=_directory(with_status_key=False))
    assert (result.valid, result.reason) == (False, "status_invalid")


def test_uri_must_match_the_token_sub() -> None:
    """A reference to another list under the allowed prefix (``.../2``): the only token there
    is the spec's, whose ``sub`` is ``.../1``, so the lookup refuses it (draft §8.3)."""
    result = _check(1, uri="https://example.com/statuslists/2")
    assert (result.valid, result.reason) == (False, "status_invalid")
