"""RFC 9901 (SD-JWT) vectors: disclosure digests and the spec's compact serializations.

Data: ``tests/fixtures/vectors/sd-jwt-rfc9901/`` (README there). Every example is run through the
generic SD-JWT machinery the verifier itself uses (:func:`wire.sdjwt.split_presentation`,
:func:`wire.jws.verify_signature`, :func:`wire.sdjwt.process_payload`,
:func:`wire.presentation.sd_hash`) and then through the full SD-JWT VC verifier
(:func:`wire.verify.check_presentation`), which refuses all of them for documented reasons.
``json_serialization_examples.json`` is not used: this project supports only the compact
serialization (DESIGN §3).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.conformance.harness import (
    StaticDirectory,
    StaticIssuer,
    StatusStub,
    assert_json_equal,
    check_disclosure_vector,
    check_key_binding,
    example_id,
    load_vector_json,
    load_vector_yaml,
    private_key_from_jwk,
    profile,
    public_key_from_jwk,
    reserved_disclosure,
    resign,
    section_ids,
    uri_allowed,
    verified_issuer_jwt,
)
from wire.disclosures import digest, parse_disclosure
from wire.errors import Malformed
from wire.jwk import PublicKey
from wire.jws import parse_compact, verify_signature
from wire.presentation import sd_hash
from wire.sdjwt import join_presentation, process_payload, split_presentation
from wire.verify import VerificationResult, VerifyPolicy, check_presentation

DIGEST_VECTORS: list[dict[str, Any]] = load_vector_json("sd-jwt-rfc9901/disclosure_digests.json")[
    "vectors"
]
SPEC: dict[str, Any] = load_vector_json("sd-jwt-rfc9901/spec_examples.json")
EXAMPLES: list[dict[str, Any]] = SPEC["examples"]
BARE_JWT_ID = "5.1-issuer-signed-jwt-only"
SD_JWT_EXAMPLES = [example for example in EXAMPLES if example["id"] != BARE_JWT_ID]
KB_EXAMPLES = [example for example in SD_JWT_EXAMPLES if "key_binding" in example]
ISSUER_KEY = public_key_from_jwk(SPEC["issuer_public_jwk"])
#: KB-JWT ``iat`` of every RFC example (2025-05-29); the verifier clock is pinned to it.
KB_IAT = 1_748_537_243
SETTINGS: dict[str, Any] = load_vector_yaml("sd-jwt-rfc9901/example-inputs/settings.yml")[
    "key_settings"
]
#: ``kid`` given to the A.5 key when an example is re-signed (see harness.resign).
RESIGN_KID = "rfc9901-a5"
STATUS_PREFIX = "https://status.example.com/lists/"


def test_vector_files_are_complete() -> None:
    """Guards against a truncated copy: the README promises 92 digests and 9 serializations."""
    assert len(DIGEST_VECTORS) == 92
    assert len(EXAMPLES) == 9
    assert len(KB_EXAMPLES) == 3
    # None of the RFC's disclosures uses a name our SD-JWT VC rules reserve, so every one of
    # them must parse (the reserved branch of the digest test stays for future vectors).
    assert not [vector for vector in DIGEST_VECTORS if reserved_disclosure(vector)]


# --- disclosures --------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", DIGEST_VECTORS, ids=section_ids(DIGEST_VECTORS))
def test_disclosure_digest_and_decoding(vector: dict[str, Any]) -> None:
    check_disclosure_vector(vector)


def test_encoding_variants_share_a_claim_but_not_a_digest() -> None:
    """§4.2.1: re-encodings of one claim are different disclosures with different digests.

    This is what catches an implementation that hashes the decoded JSON instead of the string.
    """
    by_claim: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for vector in DIGEST_VECTORS:
        if vector["section"].startswith("4.2.1"):
            by_claim[repr(vector["decoded"])].append(vector)
    (variants,) = by_claim.values()
    assert len(variants) == 4
    assert len({v["disclosure"] for v in variants}) == 4
    assert len({v["sha256_digest"] for v in variants}) == 4
    assert len({digest(v["disclosure"]) for v in variants}) == 4


def test_array_element_disclosure() -> None:
    """§4.2.2: a two-element disclosure is an array element and has no claim name."""
    (vector,) = [v for v in DIGEST_VECTORS if v["section"].startswith("4.2.2")]
    parsed = parse_disclosure(vector["disclosure"])
    assert parsed.name is None
    assert [parsed.salt, parsed.value] == vector["decoded"]


# --- serializations -----------------------------------------------------------------------------


def test_bare_issuer_jwt_is_not_an_sd_jwt() -> None:
    """§5.1 prints the issuer-signed JWT alone: correctly signed, but without ``~`` it is no
    SD-JWT, so splitting it and the full verifier both refuse it as ``malformed``."""
    (example,) = [e for e in EXAMPLES if e["id"] == BARE_JWT_ID]
    text = example["serialization"]
    assert "~" not in text
    jws = verified_issuer_jwt(text, ISSUER_KEY)  # the signature itself is fine
    assert_json_equal(jws.payload, example["issuer_jwt_payload"])
    with pytest.raises(Malformed):
        split_presentation(text)
    result = check_presentation(
        text,
        profile=profile(key_bound=False),
        directory=_KidBlindDirectory(ISSUER_KEY),
        now=KB_IAT,
        status_lookup=StatusStub(),
        uri_allowed=uri_allowed,
        policy=VerifyPolicy(credential_typ="example+sd-jwt"),
    )
    assert (result.valid, result.reason, result.claims) == (False, "malformed", {})


@pytest.mark.parametrize("example", SD_JWT_EXAMPLES, ids=example_id)
def test_example_processes_to_the_expected_payload(example: dict[str, Any]) -> None:
    """RFC 9901 §7.1 steps 1-5 with the A.5 issuer key.

    ``process_payload`` drops ``_sd`` and ``_sd_alg`` and keeps every visible claim, which is
    exactly the shape of ``expected_processed_payload``, so the comparison is plain JSON
    equality.
    """
    parts = split_presentation(example["serialization"])
    assert len(parts.disclosures) == example["n_disclosures"]
    assert (parts.kb_jwt is not None) == ("key_binding" in example)
    jws = verified_issuer_jwt(parts.issuer_jwt, ISSUER_KEY)
    assert jws.header["typ"] == example["typ"]
    claims, by_digest = process_payload(jws.payload, parts.disclosures)
    assert_json_equal(claims, example["expected_processed_payload"])
    assert set(by_digest) == {digest(d) for d in parts.disclosures}


@pytest.mark.parametrize("example", KB_EXAMPLES, ids=example_id)
def test_example_key_binding(example: dict[str, Any]) -> None:
    """RFC 9901 §7.3: the KB-JWT is signed by ``cnf.jwk`` and its ``sd_hash`` covers the
    presentation up to the last ``~``."""
    binding = example["key_binding"]
    parts = split_presentation(example["serialization"])
    jws = verified_issuer_jwt(parts.issuer_jwt, ISSUER_KEY)
    cnf_jwk = jws.payload["cnf"]["jwk"]
    assert_json_equal(cnf_jwk, SPEC["holder_public_jwk"])
    assert sd_hash(parts.without_kb) == binding["expected_sd_hash"]
    kb = check_key_binding(
        parts,
        cnf_jwk=cnf_jwk,
        aud=binding["expected_aud"],
        nonce=binding["expected_nonce"],
        iat=binding["kb_iat"],
    )
    assert kb.header["typ"] == binding["kb_typ"]
    # Controls: the issuer key does not verify the KB-JWT, and dropping a disclosure changes
    # the hash the KB-JWT commits to.
    assert not verify_signature(kb, ISSUER_KEY, "ES256")
    fewer = join_presentation(parts.issuer_jwt, parts.disclosures[:-1], None)
    assert sd_hash(fewer) != binding["expected_sd_hash"]


# --- the full SD-JWT VC verifier --------------------------------------------------------------


class _KidBlindIssuer:
    """Trusts one key whatever ``kid`` is asked for (the RFC examples carry no ``kid``)."""

    def __init__(self, iss: str, key: PublicKey) -> None:
        self.iss = iss
        self.status_list_prefixes: tuple[str, ...] = ()
        self._key = key

    def key(self, kid: str) -> PublicKey | None:
        return self._key


class _KidBlindDirectory:
    """Every ``iss`` is trusted with the RFC A.5 key."""

    def __init__(self, key: PublicKey) -> None:
        self._key = key

    def issuer(self, iss: str) -> _KidBlindIssuer:
        return _KidBlindIssuer(iss, self._key)


def _verify(
    text: str, example: dict[str, Any], directory: Any, status: StatusStub
) -> VerificationResult:
    """The full verifier, configured from the example (see the tests' docstrings)."""
    binding = example.get("key_binding")
    payload = parse_compact(text.split("~", maxsplit=1)[0], Malformed).payload
    return check_presentation(
        text,
        profile=profile(key_bound=binding is not None),
        directory=directory,
        now=KB_IAT,
        status_lookup=status,
        uri_allowed=uri_allowed,
        audience=binding["expected_aud"] if binding else None,
        nonce=binding["expected_nonce"] if binding else None,
        policy=VerifyPolicy(
            credential_typ=example["typ"], vct=str(payload.get("vct", "urn:example:none"))
        ),
    )


#: Why no RFC example passes the project's SD-JWT VC verifier (DESIGN §2, §5, §6). The first
#: failing check decides the reason, so each entry names the first rule the example breaks.
EXPECTED_REASONS = {
    # Issuer JWTs without "kid": DESIGN §5 selects the trusted key by kid only, and
    # wire.verify never asks the directory for a key without a string kid, so even the
    # kid-blind stub directory cannot help -> unknown_key. EXPECTED_REASONS_WITH_KID below
    # shows the rule each would break next (no "vct", "cnf" without KB-JWT, no "status").
    "5.1-issuance": "unknown_key",
    "5.2-presentation-kb": "unknown_key",
    "A.1-presentation-no-kb": "unknown_key",
    "A.2-presentation-no-kb": "unknown_key",
    "A.3-sd-jwt-vc-issuance": "unknown_key",
    "A.3-sd-jwt-vc-presentation-kb": "unknown_key",
    # The W3C VCDM example has no "iss" (nor "iat"/"exp"), which DESIGN §2 requires of every
    # credential; that is found while parsing, before any header check -> malformed.
    "A.4-w3c-vcdm-issuance": "malformed",
    "A.4-w3c-vcdm-presentation-kb": "malformed",
}


def test_every_example_has_an_expected_reason() -> None:
    assert set(EXPECTED_REASONS) == {example["id"] for example in SD_JWT_EXAMPLES}


@pytest.mark.parametrize("example", SD_JWT_EXAMPLES, ids=example_id)
def test_full_verifier_refuses_for_the_documented_reason(example: dict[str, Any]) -> None:
    """No RFC example can pass the stricter SD-JWT VC verifier (EXPECTED_REASONS):

    * 5.1, 5.2, A.1, A.2, A.3 (both forms): the issuer JWT has no ``kid`` -> ``unknown_key``.
      DESIGN §5 picks the trusted key by ``kid`` only, and ``wire.verify`` does not consult
      the directory at all without a string ``kid``, so a stub directory that ignores the
      ``kid`` cannot stand in. What each would break next is checked, not just claimed, by
      ``test_full_verifier_with_a_kid_reaches_the_next_rule``: no ``vct`` (5.1, 5.2, A.1,
      A.2 -> ``wrong_type``), ``cnf`` without a KB-JWT (A.3 issuance ->
      ``holder_binding_missing``), no ``status`` (A.3 presentation -> ``status_invalid``).
    * A.4 (both forms): no ``iss`` (nor ``iat``/``exp``) -> ``malformed`` while parsing.

    The verifier is configured as close to each example as it allows: ``typ`` and ``vct`` of
    the example, every issuer trusted with the A.5 key whatever the ``kid``, the clock pinned
    to the KB-JWT ``iat``, the example's ``aud``/``nonce``, paper allowed when there is no
    KB-JWT, and a status lookup that would answer "valid" (never reached).
    """
    status = StatusStub()
    result = _verify(example["serialization"], example, _KidBlindDirectory(ISSUER_KEY), status)
    assert (result.valid, result.reason) == (False, EXPECTED_REASONS[example["id"]])
    assert result.claims == {}
    assert status.calls == []


def _resigned(example: dict[str, Any], extra_claims: dict[str, Any] | None = None) -> str:
    return resign(
        example["serialization"],
        issuer_key=private_key_from_jwk(SETTINGS["issuer_keys"][0]),
        holder_key=private_key_from_jwk(SETTINGS["holder_key"]),
        kid=RESIGN_KID,
        extra_claims=extra_claims,
    )


def _trusting(example: dict[str, Any]) -> StaticDirectory:
    iss = example["expected_processed_payload"].get("iss", "https://no-iss.example")
    return StaticDirectory([StaticIssuer(iss, {RESIGN_KID: ISSUER_KEY}, (STATUS_PREFIX,))])


#: The next rule each example breaks once it carries a ``kid`` (re-signed with the published
#: A.5 private key; disclosures, payload and KB-JWT claims unchanged).
EXPECTED_REASONS_WITH_KID = {
    # No "vct": SD-JWT VC requires it and DESIGN §2 fixes its value.
    "5.1-issuance": "wrong_type",
    "5.2-presentation-kb": "wrong_type",
    "A.1-presentation-no-kb": "wrong_type",
    "A.2-presentation-no-kb": "wrong_type",
    # The issuance form carries "cnf" but no KB-JWT; DESIGN §3 never accepts that.
    "A.3-sd-jwt-vc-issuance": "holder_binding_missing",
    # Signature, disclosures, vct, times, KB-JWT (aud, nonce, sd_hash, iat) and the profile
    # all pass; only the "status" reference DESIGN §2 requires is missing.
    "A.3-sd-jwt-vc-presentation-kb": "status_invalid",
    # Still no "iss".
    "A.4-w3c-vcdm-issuance": "malformed",
    "A.4-w3c-vcdm-presentation-kb": "malformed",
}


@pytest.mark.parametrize("example", SD_JWT_EXAMPLES, ids=example_id)
def test_full_verifier_with_a_kid_reaches_the_next_rule(example: dict[str, Any]) -> None:
    """With a ``kid`` added, each example gets as far as EXPECTED_REASONS_WITH_KID says.

    This checks the second-level explanations of EXPECTED_REASONS instead of only asserting
    them, and runs the verifier's disclosure processing and KB-JWT checks on the spec's
    structures.
    """
    status = StatusStub()
    result = _verify(_resigned(example), example, _trusting(example), status)
    assert (result.valid, result.reason) == (False, EXPECTED_REASONS_WITH_KID[example["id"]])
    assert status.calls == []


def test_full_verifier_accepts_the_vc_example_once_it_has_kid_and_status() -> None:
    """A.3 (the only SD-JWT VC among the RFC examples) passes every check of the verifier once
    it carries a ``kid`` and a ``status`` reference, and the verifier returns exactly the
    disclosed claims of the spec's processed payload."""
    (example,) = [e for e in EXAMPLES if e["id"] == "A.3-sd-jwt-vc-presentation-kb"]
    reference = {"status_list": {"idx": 3, "uri": STATUS_PREFIX + "1"}}
    status = StatusStub(value=0)
    result = _verify(_resigned(example, {"status": reference}), example, _trusting(example), status)
    assert (result.valid, result.reason, result.status) == (True, None, "valid")
    visible = {"iss", "iat", "exp", "vct", "cnf", "status"}
    expected = {
        name: value
        for name, value in example["expected_processed_payload"].items()
        if name not in visible
    }
    assert expected == {"age_equal_or_over": {"18": True}, "nationalities": ["DE"]}
    assert_json_equal(result.claims, expected)
    assert status.calls == [(example["expected_processed_payload"]["iss"], STATUS_PREFIX + "1", 3)]
