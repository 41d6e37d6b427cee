"""Disclosures (RFC 9901 §4.2): spec digest vectors, strict parsing, hypothesis round trips."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.vectors import vectors_dir
from wire.disclosures import (
    RESERVED_NAMES,
    Disclosure,
    decoy_digest,
    digest,
    make_disclosure,
    parse_disclosure,
    random_salt,
)
from wire.encoding import b64u_encode, json_dumps
from wire.errors import InvalidDisclosure


@cache
def _vectors() -> list[dict[str, Any]]:
    path = vectors_dir() / "sd-jwt-rfc9901" / "disclosure_digests.json"
    vectors: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))["vectors"]
    return vectors


def test_there_are_spec_vectors() -> None:
    assert len(_vectors()) == 92


@pytest.mark.parametrize("index", range(92))
def test_rfc9901_disclosure_vectors(index: int) -> None:
    vector = _vectors()[index]
    parsed = parse_disclosure(vector["disclosure"])
    assert parsed.digest == digest(vector["disclosure"]) == vector["sha256_digest"]
    decoded = vector["decoded"]
    assert parsed.salt == decoded[0]
    assert (parsed.name, parsed.value) == (
        (decoded[1], decoded[2]) if len(decoded) == 3 else (None, decoded[1])
    )


def test_encoding_variants_of_one_claim_have_different_digests() -> None:
    """RFC 9901 §4.2.1: the digest is over the encoded string, not the decoded claim."""
    variants = [v for v in _vectors() if v["section"].startswith("4.2.1")]
    decoded = {json.dumps(v["decoded"]) for v in variants}
    digests = {v["sha256_digest"] for v in variants}
    assert len(variants) >= 4
    assert len(decoded) == 1
    assert len(digests) == len(variants)


def test_make_disclosure_object_property() -> None:
    disclosure = make_disclosure("name", "张三丰", salt_source=lambda: b"\x01" * 16)
    assert disclosure.salt == b64u_encode(b"\x01" * 16)
    assert disclosure.encoded == b64u_encode(json_dumps([disclosure.salt, "name", "张三丰"]))
    assert disclosure.digest == b64u_encode(hashlib.sha256(disclosure.encoded.encode()).digest())
    assert parse_disclosure(disclosure.encoded) == disclosure


def test_make_disclosure_array_element() -> None:
    disclosure = make_disclosure(None, {"a": [1]})
    assert disclosure.name is None
    assert json.loads(_decode(disclosure.encoded)) == [disclosure.salt, {"a": [1]}]
    assert parse_disclosure(disclosure.encoded) == disclosure


@pytest.mark.parametrize("name", ["_sd", "..."])
def test_make_disclosure_refuses_structural_names(name: str) -> None:
    with pytest.raises(ValueError):
        make_disclosure(name, 1)


def test_random_salt_is_128_bits_and_varies() -> None:
    salts = {random_salt() for _ in range(50)}
    assert len(salts) == 50
    assert all(len(s) == 16 for s in salts)


def test_decoy_digest_looks_like_a_digest() -> None:
    decoy = decoy_digest(lambda: b"seed")
    assert decoy == b64u_encode(hashlib.sha256(b"seed").digest())
    assert len(decoy_digest()) == 43
    assert decoy_digest() != decoy_digest()


def _decode(encoded: str) -> bytes:
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def _encode_raw(raw: bytes) -> str:
    return b64u_encode(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'["salt"]',
        b'["salt","name","value",4]',
        b"{}",
        b'"salt"',
        b"null",
        b'[1,"name","value"]',
        b'[null,"v"]',
        b'["salt",2,"value"]',
        b'["salt",null,"value"]',
        b'["salt",{"n":1},"value"]',
        b'["salt","name",{"k":1,"k":2}]',
        b'["salt","name",NaN]',
        b'["salt","name",1e999]',
        b'["salt","name","\\ud800"]',
        b'["salt","name","\xff"]',
        b'["salt","name"',
        b'["salt","name",' + b"[" * 40 + b"]" * 40 + b"]",
    ],
    ids=repr,
)
def test_parse_refuses_malformed_disclosures(raw: bytes) -> None:
    with pytest.raises(InvalidDisclosure):
        parse_disclosure(_encode_raw(raw))


@pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
def test_parse_refuses_reserved_names(name: str) -> None:
    with pytest.raises(InvalidDisclosure):
        parse_disclosure(_encode_raw(json_dumps(["salt", name, 1])))


def test_reserved_names_cover_design_list() -> None:
    required = {"_sd", "...", "iss", "iat", "exp", "vct", "cnf", "status", "_sd_alg", "nbf"}
    assert required <= RESERVED_NAMES


@pytest.mark.parametrize("suffix", ["=", "==", " ", "\n", "+", "~", "."])
def test_parse_refuses_non_canonical_base64url(suffix: str) -> None:
    encoded = make_disclosure("name", "x").encoded
    with pytest.raises(InvalidDisclosure):
        parse_disclosure(encoded + suffix)


def test_parse_refuses_non_zero_trailing_bits() -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for filler in ("", "x", "xx"):
        encoded = make_disclosure("n", filler).encoded
        if len(encoded) % 4 == 0:
            continue
        mutated = encoded[:-1] + alphabet[alphabet.index(encoded[-1]) ^ 1]
        with pytest.raises(InvalidDisclosure):
            parse_disclosure(mutated)


def test_whitespace_inside_the_json_is_allowed() -> None:
    """RFC 9901 §4.2.1: any JSON encoding of the array is a valid disclosure."""
    encoded = _encode_raw(b'["salt", "name",\n "value"]')
    parsed = parse_disclosure(encoded)
    assert (parsed.salt, parsed.name, parsed.value) == ("salt", "name", "value")


# --- properties -----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.text().filter(lambda name: name not in RESERVED_NAMES)


@settings(deadline=None)
@given(st.none() | NAMES, JSON_VALUES, st.binary(min_size=1, max_size=32))
def test_round_trip(name: str | None, value: Any, salt: bytes) -> None:
    made = make_disclosure(name, value, salt_source=lambda: salt)
    parsed = parse_disclosure(made.encoded)
    assert parsed == made
    assert (parsed.name, parsed.value, parsed.salt) == (name, value, b64u_encode(salt))


@settings(deadline=None)
@given(NAMES, JSON_VALUES)
def test_digest_is_over_the_encoded_string(name: str, value: Any) -> None:
    made = make_disclosure(name, value)
    assert made.digest == b64u_encode(hashlib.sha256(made.encoded.encode("ascii")).digest())
    # The same claim serialised differently is a different disclosure with a different digest.
    spaced = _encode_raw(json.dumps([made.salt, name, value], ensure_ascii=True).encode())
    if spaced != made.encoded:
        reparsed = parse_disclosure(spaced)
        assert (reparsed.salt, reparsed.name, reparsed.value) == (made.salt, name, value)
        assert reparsed.digest != made.digest


def test_disclosure_is_a_frozen_value() -> None:
    disclosure = make_disclosure("name", "x")
    assert isinstance(disclosure, Disclosure)
    with pytest.raises(AttributeError):
        disclosure.name = "other"  # type: ignore[misc]
