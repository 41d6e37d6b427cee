"""Verifier disclosure checks (RFC 9901 §7.1, DESIGN §6): ``_sd_alg``, well-formed disclosures
(``invalid_disclosure``) and disclosures that do not match the signed digests
(``disclosure_mismatch``). Every payload here is re-signed with the trusted issuer key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wire.conftest import (
    DROP,
    HostileIssuer,
    MemoryNonceCache,
    Verifier,
    changed,
    issue,
    present,
)
from wire.disclosures import digest, make_disclosure
from wire.encoding import b64u_encode, json_dumps
from wire.sdjwt import split_presentation


def raw_disclosure(content: bytes) -> str:
    return b64u_encode(content)


def presented_with(
    hostile: HostileIssuer, *encoded: str, payload: dict[str, Any] | None = None
) -> str:
    """The landlord disclosures plus ``encoded``, each digest added to the top-level ``_sd``."""
    base = hostile.payload if payload is None else payload
    sd = sorted([*base["_sd"], *(digest(e) for e in encoded)])
    return hostile.present(
        payload=changed(base, _sd=sd), disclosures=[*hostile.disclosures, *encoded]
    )


# --- _sd_alg ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["sha-512", "SHA-256", "sha256", "sha-384", "", "none"])
def test_sd_alg_other_than_sha256(hostile: HostileIssuer, verifier: Verifier, alg: str) -> None:
    payload = changed(hostile.payload, _sd_alg=alg)
    assert verifier.reason(hostile.present(payload=payload)) == "unsupported_alg"


def test_absent_sd_alg_defaults_to_sha256(hostile: HostileIssuer, verifier: Verifier) -> None:
    """RFC 9901 §4.1.1: without ``_sd_alg`` the digests are SHA-256."""
    assert verifier.check(hostile.present(payload=changed(hostile.payload, _sd_alg=DROP))).valid


# --- invalid_disclosure -------------------------------------------------------------------

RAW_DISCLOSURES = {
    "object": b'{"salt":"s","name":"n","value":1}',
    "string": b'"x"',
    "one element": b'["salt"]',
    "four elements": b'["salt","name","value","extra"]',
    "empty array": b"[]",
    "salt int": b'[1,"name","value"]',
    "salt null": b'[null,"name","value"]',
    "salt int (2)": b'[1,"value"]',
    "name int": b'["salt",1,"value"]',
    "name null": b'["salt",null,"value"]',
    "name list": b'["salt",["name"],"value"]',
    "duplicate member": b'["salt","name",{"a":1,"a":2}]',
    "NaN": b'["salt","name",NaN]',
    "huge float": b'["salt","name",1e999]',
    "lone surrogate": b'["salt","name","\\udc00"]',
    "not UTF-8": b'["salt","name","\xc3"]',
    "not JSON": b"[salt,name,value]",
    "too deep": b'["salt","name",' + b"[" * 32 + b"]" * 32 + b"]",
}


@pytest.mark.parametrize("raw", RAW_DISCLOSURES.values(), ids=RAW_DISCLOSURES.keys())
def test_disclosure_that_is_not_a_well_formed_array(
    hostile: HostileIssuer, verifier: Verifier, raw: bytes
) -> None:
    assert verifier.reason(presented_with(hostile, raw_disclosure(raw))) == "invalid_disclosure"


def test_nesting_limit_inside_a_disclosure_is_32(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    deepest = b'["salt","deep",' + b"[" * 31 + b"]" * 31 + b"]"  # 32 levels with the outer one
    assert verifier.check(presented_with(hostile, raw_disclosure(deepest))).valid


RESERVED = ["_sd", "...", "iss", "iat", "exp", "nbf", "vct", "cnf", "status", "_sd_alg"]


@pytest.mark.parametrize("name", RESERVED)
def test_reserved_or_always_visible_names(
    hostile: HostileIssuer, verifier: Verifier, name: str
) -> None:
    encoded = raw_disclosure(json_dumps(["c2FsdA", name, "https://evil.example"]))
    assert verifier.reason(presented_with(hostile, encoded)) == "invalid_disclosure"


def _non_canonical(encoded: str) -> list[str]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variants = [encoded + "=" * (-len(encoded) % 4 or 4), encoded.replace("_", "/")]
    variants.append(encoded.replace("-", "+") if "-" in encoded else encoded[:-1] + "+")
    if len(encoded) % 4 in (2, 3):
        last = alphabet.index(encoded[-1])
        variants.append(encoded[:-1] + alphabet[last ^ 1])
    return [v for v in variants if v != encoded]


@pytest.mark.parametrize("size", [1, 2, 3])
def test_non_canonical_base64url_disclosure(
    hostile: HostileIssuer, verifier: Verifier, size: int
) -> None:
    disclosure = make_disclosure("note", "?" * size + "~>")
    assert verifier.check(presented_with(hostile, disclosure.encoded)).valid
    variants = _non_canonical(disclosure.encoded)
    assert len(variants) >= 2
    for variant in variants:
        # The payload lists the digest of the variant itself, so only the encoding is wrong.
        assert verifier.reason(presented_with(hostile, variant)) == "invalid_disclosure", variant


def test_recomputed_encoding_of_the_same_claim_does_not_match(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    """The digest is over the encoded string: a re-serialisation with spaces is another claim."""
    salt, name, value = "c2FsdC0x", "note", "值"
    compact = raw_disclosure(json_dumps([salt, name, value]))
    spaced = raw_disclosure(f'["{salt}", "{name}", "{value}"]'.encode())
    text = presented_with(hostile, compact)
    assert verifier.check(text).valid
    assert verifier.reason(text.replace(compact, spaced)) == "disclosure_mismatch"
    # Signed as it is, the spaced form is a valid disclosure (RFC 9901 §4.2.1 allows it).
    assert verifier.check(presented_with(hostile, spaced), nonce_cache=MemoryNonceCache()).valid


# --- disclosure_mismatch ------------------------------------------------------------------


def test_disclosure_not_referenced(hostile: HostileIssuer, verifier: Verifier) -> None:
    stray = make_disclosure("name", "李四").encoded
    assert verifier.reason(hostile.present(disclosures=[*hostile.disclosures, stray])) == (
        "disclosure_mismatch"
    )


def test_disclosure_from_another_credential(hostile: HostileIssuer, verifier: Verifier) -> None:
    other = split_presentation(present(issue(seed=99), holder=None)).disclosures
    assert verifier.reason(hostile.present(disclosures=[*hostile.disclosures[:-1], other[-1]])) == (
        "disclosure_mismatch"
    )


def test_same_disclosure_twice(hostile: HostileIssuer, verifier: Verifier) -> None:
    twice = [*hostile.disclosures, hostile.disclosures[0]]
    assert verifier.reason(hostile.present(disclosures=twice)) == "disclosure_mismatch"


def test_digest_listed_twice_in_the_payload(hostile: HostileIssuer, verifier: Verifier) -> None:
    name_digest = digest(hostile.disclosures[0])
    payload = changed(hostile.payload, _sd=[*hostile.payload["_sd"], name_digest])
    assert verifier.reason(hostile.present(payload=payload)) == "disclosure_mismatch"


def test_digest_listed_in_two_places(hostile: HostileIssuer, verifier: Verifier) -> None:
    name_digest = digest(hostile.disclosures[0])
    payload = changed(hostile.payload, extra={"_sd": [name_digest]})
    assert verifier.reason(hostile.present(payload=payload)) == "disclosure_mismatch"


def test_undisclosed_digest_listed_twice_is_still_a_mismatch(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    decoy = hostile.payload["_sd"][0]
    payload = changed(hostile.payload, _sd=[*hostile.payload["_sd"], decoy])
    assert verifier.reason(hostile.present(payload=payload)) == "disclosure_mismatch"


def test_array_element_disclosure_in_an_object_sd(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    element = make_disclosure(None, "element")
    assert verifier.reason(presented_with(hostile, element.encoded)) == "disclosure_mismatch"


def test_object_property_disclosure_in_an_array(hostile: HostileIssuer, verifier: Verifier) -> None:
    prop = make_disclosure("nationality", "CN")
    payload = changed(hostile.payload, nationalities=[{"...": prop.digest}])
    text = hostile.present(payload=payload, disclosures=[*hostile.disclosures, prop.encoded])
    assert verifier.reason(text) == "disclosure_mismatch"


def test_name_clashing_with_a_visible_claim(hostile: HostileIssuer, verifier: Verifier) -> None:
    # A custom claim shown in the clear and also disclosed.
    visible = changed(hostile.payload, note="plain")
    clash = make_disclosure("note", "李四").encoded
    assert verifier.reason(presented_with(hostile, clash, payload=visible)) == (
        "disclosure_mismatch"
    )
    # A permit claim in the clear next to its (landlord) disclosure.
    payload = changed(hostile.payload, name="王五")
    assert verifier.reason(hostile.present(payload=payload)) == "disclosure_mismatch"


def test_two_disclosures_with_the_same_name(hostile: HostileIssuer, verifier: Verifier) -> None:
    second_name = make_disclosure("name", "李四").encoded
    assert verifier.reason(presented_with(hostile, second_name)) == "disclosure_mismatch"


# --- structure of the digests → malformed ---------------------------------------------------


@pytest.mark.parametrize("sd", [[1], [None], [["x"]], [{"...": "x"}]], ids=repr)
def test_non_string_digest_is_malformed(
    hostile: HostileIssuer, verifier: Verifier, sd: list[Any]
) -> None:
    payload = changed(hostile.payload, _sd=[*hostile.payload["_sd"], *sd])
    assert verifier.reason(hostile.present(payload=payload)) == "malformed"


@pytest.mark.parametrize("sd", ["digest", {"a": 1}, 1, None])
def test_nested_sd_that_is_not_a_list_is_malformed(
    hostile: HostileIssuer, verifier: Verifier, sd: Any
) -> None:
    payload = changed(hostile.payload, extra={"_sd": sd})
    assert verifier.reason(hostile.present(payload=payload)) == "malformed"


def test_sd_not_a_list_inside_a_disclosure_is_malformed(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    inner = make_disclosure("extra", {"_sd": "not-a-list"}).encoded
    assert verifier.reason(presented_with(hostile, inner)) == "malformed"


def test_array_digest_object_with_extra_keys_is_malformed(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    element = make_disclosure(None, "CN")
    payload = changed(hostile.payload, nationalities=[{"...": element.digest, "x": 1}])
    text = hostile.present(payload=payload, disclosures=[*hostile.disclosures, element.encoded])
    assert verifier.reason(text) == "malformed"


def test_ellipsis_member_outside_an_array_is_malformed(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    payload = changed(hostile.payload, extra={"...": "x"})
    assert verifier.reason(hostile.present(payload=payload)) == "malformed"


def test_processed_claims_nested_deeper_than_32_are_malformed(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    """Each disclosure is within the limit, but embedding them would exceed it."""

    def chain(levels: int) -> str:
        encoded: list[str] = []
        value: Any = "leaf"
        for _ in range(levels):
            for _ in range(15):
                value = [value]
            disclosure = make_disclosure("d", value)
            encoded.append(disclosure.encoded)
            value = {"_sd": [disclosure.digest]}
        payload = changed(hostile.payload, extra=value)
        return hostile.present(payload=payload, disclosures=[*hostile.disclosures, *encoded])

    # payload (1) + extra (1) + 15 arrays + object + 15 arrays = 33 levels of processed claims
    assert verifier.reason(chain(2)) == "malformed"
    assert verifier.check(chain(1)).valid
    # A long chain (59 + 5 disclosures) must not overflow Python's recursion limit either.
    assert verifier.reason(chain(59)) == "malformed"


# --- disclosable array elements and recursive disclosures work ------------------------------


def test_array_elements_and_decoys(hostile: HostileIssuer, verifier: Verifier) -> None:
    shown, hidden = make_disclosure(None, "CN"), make_disclosure(None, "HK")
    nested = make_disclosure("city", "上海")
    payload = changed(
        hostile.payload,
        nationalities=[{"...": shown.digest}, {"...": hidden.digest}, "plain"],
        place={"_sd": [nested.digest, digest("decoy")]},
    )
    text = hostile.present(
        payload=payload, disclosures=[*hostile.disclosures, shown.encoded, nested.encoded]
    )
    result = verifier.check(text, "any")
    assert result.valid
    assert result.claims["nationalities"] == ["CN", "plain"]
    assert result.claims["place"] == {"city": "上海"}
    assert "_sd" not in result.claims
    assert "_sd_alg" not in result.claims
