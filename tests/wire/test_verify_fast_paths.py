"""The verifier's hot path against straightforward reference implementations.

``wire.verify`` parses a presentation with one translation and one split of the whole text,
finds parts by offset and hands ``(name, value)`` pairs to a digest walk that counts instead of
collecting (see docs/reason-codes.md for the checks themselves). These properties pin that the
fast code decides exactly what the plain code decides: the same reason code for the same input,
and the same parts when it accepts. The references below are the plain versions, written with
the general helpers (``split_presentation``, ``parse_compact``, ``parse_disclosure``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wire.conftest import HOLDER_ES256, HostileIssuer, issue, present
from wire.disclosures import Disclosure, parse_disclosure
from wire.encoding import (
    B64U_TO_STRICT,
    MAX_JSON_DEPTH,
    b64u_decode,
    b64u_decode_translated,
    digest_b64u,
    loads_json,
    parse_json,
)
from wire.errors import (
    DisclosureMismatch,
    HolderBindingInvalid,
    Malformed,
    PayloadTooLarge,
    VerificationError,
)
from wire.jws import _es256_der, parse_compact
from wire.sdjwt import split_presentation, unpack_claims
from wire.verify import VerifyPolicy
from wire.verify._parse import parse_presentation

POLICY = VerifyPolicy()

# --- parsing ------------------------------------------------------------------------------------


def _reference_parse(text: str, policy: VerifyPolicy) -> dict[str, Any]:
    """The parsing step written plainly (``parse_presentation``'s shape before tuning)."""
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if len(text.encode("utf-8", "surrogatepass")) > policy.max_presentation:
        raise PayloadTooLarge()
    if text.count("~") > policy.max_disclosures + 1:
        raise PayloadTooLarge()
    if not text.isascii():
        raise Malformed()
    parts = split_presentation(text)
    jws = parse_compact(parts.issuer_jwt, Malformed)
    disclosures = [parse_disclosure(encoded) for encoded in parts.disclosures]
    kb = parse_compact(parts.kb_jwt, HolderBindingInvalid) if parts.kb_jwt else None
    payload = jws.payload
    if not isinstance(payload.get("iss"), str):
        raise Malformed()
    for name in ("iat", "exp"):
        if type(payload.get(name)) is not int:
            raise Malformed()
    if "nbf" in payload and type(payload["nbf"]) is not int:
        raise Malformed()
    for name, kind in (("vct", str), ("_sd_alg", str), ("cnf", dict), ("_sd", list)):
        if name in payload and not isinstance(payload[name], kind):
            raise Malformed()
    return {
        "jws": (jws.header, jws.payload, jws.signing_input, jws.signature),
        "disclosed": {d.digest: (d.name, d.value) for d in disclosures},
        "count": len(disclosures),
        "kb": None if kb is None else (kb.header, kb.payload, kb.signing_input, kb.signature),
        "sd_hash_input": parts.without_kb.encode("ascii"),
        "times": (payload["iat"], payload["exp"], payload.get("nbf")),
    }


def _fast_parse(text: str, policy: VerifyPolicy) -> dict[str, Any]:
    parsed = parse_presentation(text, policy)
    return {
        "jws": tuple(parsed.jws),
        "disclosed": parsed.disclosed,
        "count": parsed.disclosure_count,
        "kb": None if parsed.kb is None else tuple(parsed.kb),
        "sd_hash_input": parsed.sd_hash_input,
        "times": (parsed.iat, parsed.exp, parsed.nbf),
    }


def _outcome(parse: Any, text: str, policy: VerifyPolicy = POLICY) -> Any:
    try:
        return parse(text, policy)
    except VerificationError as error:
        return type(error)


@functools.cache
def _samples() -> tuple[str, ...]:
    """Accepted presentations: Ed25519 and ES256 holders, a paper one, one with a CRLF."""
    es256_holder = issue(holder=HOLDER_ES256, seed=3)
    return (
        present(issue(), "landlord"),
        present(issue(), "any"),
        present(es256_holder, "school"),
        present(issue(holder=None), "landlord", holder=None),
        present(issue(), "landlord") + "\r\n",
    )


@pytest.fixture(scope="module")
def samples() -> tuple[str, ...]:
    return _samples()


def test_accepted_presentations_parse_to_the_same_parts(samples: tuple[str, ...]) -> None:
    for text in samples:
        assert _fast_parse(text, POLICY) == _reference_parse(text, POLICY)


EDIT_CHARACTERS = "AQgw09-_+/=~. \t\r\n*é\x00\ud800"


@settings(deadline=None, max_examples=400)
@given(
    st.integers(min_value=0, max_value=4),
    st.lists(
        st.tuples(
            st.sampled_from(["insert", "replace", "delete", "cut"]),
            st.floats(min_value=0, max_value=1),
            st.sampled_from(EDIT_CHARACTERS),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_edited_presentations_get_the_same_outcome(
    which: int, edits: list[tuple[str, float, str]]
) -> None:
    text = _samples()[which]
    for kind, where, character in edits:
        at = int(where * len(text))
        if kind == "insert":
            text = text[:at] + character + text[at:]
        elif kind == "replace":
            text = text[:at] + character + text[at + 1 :]
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at]
    assert _outcome(_fast_parse, text) == _outcome(_reference_parse, text)


def _structural_variants(text: str) -> list[str]:
    """Every single edit of the structure: each ``~`` and ``.`` doubled, dropped or swapped for
    the other, and each of them inserted at the start and the end of every part."""
    variants = []
    for at, character in enumerate(text):
        if character in "~.":
            other = "." if character == "~" else "~"
            variants += [
                text[:at] + character + text[at:],
                text[:at] + text[at + 1 :],
                text[:at] + other + text[at + 1 :],
            ]
            for inserted in "~.":
                variants += [
                    text[:at] + inserted + text[at:],
                    text[: at + 1] + inserted + text[at + 1 :],
                ]
    return [*variants, "~" + text, "." + text, text + "~", text + ".", text + "~~"]


def test_structural_edits_get_the_same_outcome(samples: tuple[str, ...]) -> None:
    for text in samples:
        for variant in _structural_variants(text):
            assert _outcome(_fast_parse, variant) == _outcome(_reference_parse, variant)


def test_size_limits_give_the_same_outcome(samples: tuple[str, ...]) -> None:
    text = samples[0]
    for policy in (
        VerifyPolicy(max_presentation=len(text)),
        VerifyPolicy(max_presentation=len(text) - 1),
        VerifyPolicy(max_disclosures=text.count("~") - 1),
        VerifyPolicy(max_disclosures=text.count("~") - 2),
    ):
        for variant in (text, text + "é", "é" + "~" * 70, "~" * 70):
            fast = _outcome(_fast_parse, variant, policy)
            assert fast == _outcome(_reference_parse, variant, policy)


def test_hostile_parts_give_the_same_outcome(hostile: HostileIssuer) -> None:
    jwt = hostile.issuer_jwt()
    header, payload, signature = jwt.split(".")
    variants = [
        hostile.present(jwt=f"{header}.{payload}"),
        hostile.present(jwt=f"{header}.{payload}.{signature}.x"),
        hostile.present(jwt=f".{payload}.{signature}"),
        hostile.present(jwt=f"{header}..{signature}"),
        hostile.present(jwt=f"{header}.{payload}."),
        hostile.present(payload=b"[1]"),
        hostile.present(header=b"[]"),
        hostile.present(payload=changed_payload(hostile.payload, nbf=True)),
        hostile.present(payload=changed_payload(hostile.payload, nbf=None)),
        hostile.present(payload=changed_payload(hostile.payload, cnf=[])),
        hostile.present(disclosures=[*hostile.disclosures, hostile.disclosures[0]]),
        hostile.present(disclosures=[]),
        hostile.present(kb=False),
    ]
    for text in variants:
        assert _outcome(_fast_parse, text) == _outcome(_reference_parse, text)


def changed_payload(payload: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    return {**payload, **changes}


# --- encoding helpers ---------------------------------------------------------------------------

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@settings(deadline=None)
@given(st.text(alphabet=B64_ALPHABET + "+/=* \n.~é", max_size=12))
def test_translated_decoding_agrees_with_b64u_decode(text: str) -> None:
    try:
        expected: bytes | None = b64u_decode(text, Malformed)
    except Malformed:
        expected = None
    try:
        data = text.encode("ascii").translate(B64U_TO_STRICT)
        actual: bytes | None = b64u_decode_translated(data)
    except ValueError:
        actual = None
    assert actual == expected
    if expected is not None:
        assert base64.urlsafe_b64encode(expected).decode().rstrip("=") == text


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_digest_b64u_is_unpadded_base64url_sha256(data: bytes) -> None:
    expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")
    assert digest_b64u(data) == expected


@pytest.mark.parametrize("max_depth", [1, 2, 5, MAX_JSON_DEPTH])
def test_depth_limit_at_the_length_shortcut(max_depth: int) -> None:
    for depth in range(max_depth + 3):
        for text in (b"[" * depth + b"]" * depth, b" " * 9 + b"[" * depth + b"]" * depth):
            if not depth:
                continue
            if depth <= max_depth:
                parse_json(text, max_depth)
            else:
                with pytest.raises(ValueError):
                    parse_json(text, max_depth)
    nested = b'{"a":' * (max_depth + 1) + b"1" + b"}" * (max_depth + 1)
    with pytest.raises(ValueError):
        parse_json(nested, max_depth)


@pytest.mark.parametrize(
    "raw", [b" {}", b"\t\r\n[1] ", b"  ", b"", b" x", b"1 2", b"\xef\xbb\xbf[]", b'"\\ud800"']
)
def test_parse_json_and_loads_json_agree(raw: bytes) -> None:
    try:
        expected: Any = loads_json(raw, Malformed)
    except Malformed:
        expected = Malformed
    try:
        actual: Any = parse_json(raw)
    except ValueError:
        actual = Malformed
    assert actual == expected


# --- the digest walk ----------------------------------------------------------------------------


class _ReferenceUnpacker:
    """RFC 9901 §7.1 steps 3-5 written plainly (``wire.sdjwt`` before tuning)."""

    def __init__(self, by_digest: Mapping[str, tuple[str | None, Any]]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used: set[str] = set()

    def claim(self, digest: Any) -> tuple[str | None, Any] | None:
        if not isinstance(digest, str):
            raise Malformed()
        if digest in self.seen:
            raise DisclosureMismatch()
        self.seen.add(digest)
        found = self.by_digest.get(digest)
        if found is not None:
            self.used.add(digest)
        return found

    def unpack(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            raise Malformed()
        if isinstance(value, dict):
            return self.unpack_object(value, top=False, depth=depth)
        if isinstance(value, list):
            return self.unpack_array(value, depth)
        return value

    def unpack_object(self, obj: Mapping[str, Any], *, top: bool, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in obj.items():
            if key == "_sd" or (top and key == "_sd_alg"):
                continue
            if key == "...":
                raise Malformed()
            result[key] = self.unpack(item, depth + 1)
        digests = obj.get("_sd", [])
        if not isinstance(digests, list):
            raise Malformed()
        for digest in digests:
            found = self.claim(digest)
            if found is None:
                continue
            name, value = found
            if name is None or name in result:
                raise DisclosureMismatch()
            result[name] = self.unpack(value, depth + 1)
        return result

    def unpack_array(self, items: list[Any], depth: int) -> list[Any]:
        result: list[Any] = []
        for item in items:
            if isinstance(item, dict) and "..." in item:
                if len(item) != 1:
                    raise Malformed()
                found = self.claim(item["..."])
                if found is None:
                    continue
                name, value = found
                if name is not None:
                    raise DisclosureMismatch()
                result.append(self.unpack(value, depth + 1))
            else:
                result.append(self.unpack(item, depth + 1))
        return result


def _reference_unpack(
    payload: Mapping[str, Any], disclosed: Mapping[str, tuple[str | None, Any]]
) -> dict[str, Any]:
    state = _ReferenceUnpacker(disclosed)
    claims = state.unpack_object(payload, top=True, depth=1)
    if state.used != set(disclosed):
        raise DisclosureMismatch()
    return claims


DIGESTS = ["d0", "d1", "d2", "d3", "d4", "d5"]
DIGEST_ENTRIES = st.sampled_from([*DIGESTS, 7, None, ["d1"]])
NAMES = st.sampled_from(["a", "b", "c", "_sd_alg", "..."])


def _trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(
                children | st.fixed_dictionaries({"...": DIGEST_ENTRIES}) | st.just({"...": "d2"}),
                max_size=3,
            )
            | st.dictionaries(NAMES, children, max_size=3)
            | st.builds(
                lambda d, sd: {**d, "_sd": sd},
                st.dictionaries(NAMES, children, max_size=2),
                st.lists(DIGEST_ENTRIES, max_size=4) | st.sampled_from(["d1", 3]),
            )
        ),
        max_leaves=12,
    )


PAYLOADS = st.builds(
    lambda claims, digests: {**claims, "_sd": digests},
    st.dictionaries(NAMES, _trees(st.integers(0, 3) | st.just("x")), max_size=3),
    st.lists(DIGEST_ENTRIES, max_size=5),
)
DISCLOSED = st.dictionaries(
    st.sampled_from(DIGESTS),
    st.tuples(st.sampled_from([None, "a", "b", "c", "z"]), _trees(st.integers(0, 3))),
    max_size=6,
)


@settings(deadline=None, max_examples=600)
@given(PAYLOADS, DISCLOSED)
def test_digest_walk_matches_the_reference(
    payload: dict[str, Any], disclosed: dict[str, tuple[str | None, Any]]
) -> None:
    def outcome(walk: Any) -> Any:
        try:
            return walk(payload, disclosed)
        except VerificationError as error:
            return type(error)

    assert outcome(unpack_claims) == outcome(_reference_unpack)


@pytest.mark.parametrize("levels", range(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH + 3))
def test_digest_walk_depth_matches_the_reference(levels: int) -> None:
    # a chain of disclosures, each value an object holding the next one's digest
    disclosed: dict[str, tuple[str | None, Any]] = {"d0": ("leaf", 1)}
    for level in range(1, levels):
        disclosed[f"d{level}"] = (f"n{level}", {"_sd": [f"d{level - 1}"]})
    payload = {"_sd": [f"d{levels - 1}"]}
    outcomes: list[object] = []
    for walk in (unpack_claims, _reference_unpack):
        try:
            outcomes.append(walk(payload, disclosed))
        except VerificationError as error:
            outcomes.append(type(error))
    assert outcomes[0] == outcomes[1]


def test_process_payload_still_returns_parsed_disclosures() -> None:
    from wire.sdjwt import process_payload

    credential = issue()
    parts = split_presentation(credential.serialized)
    payload = parse_compact(parts.issuer_jwt, Malformed).payload
    claims, by_digest = process_payload(payload, list(parts.disclosures))
    assert all(isinstance(d, Disclosure) for d in by_digest.values())
    assert set(by_digest) == {parse_disclosure(d).digest for d in parts.disclosures}
    assert claims["name"] == credential_claim(credential, "name")


def credential_claim(credential: Any, name: str) -> Any:
    parts = split_presentation(credential.serialized)
    for encoded in parts.disclosures:
        disclosure = parse_disclosure(encoded)
        if disclosure.name == name:
            return disclosure.value
    raise KeyError(name)


# --- ES256 signatures to DER --------------------------------------------------------------------

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _reference_der(signature: bytes) -> bytes | None:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < P256_ORDER and 0 < s < P256_ORDER):
        return None
    return encode_dss_signature(r, s)


EDGE_SCALARS = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 2**248 - 1, 2**248, 2**255 - 1, 2**255]
EDGE_SCALARS += [P256_ORDER - 1, P256_ORDER, P256_ORDER + 1, 2**256 - 1]
SCALARS = st.sampled_from(EDGE_SCALARS) | st.integers(min_value=0, max_value=2**256 - 1)


@settings(deadline=None, max_examples=500)
@given(SCALARS, SCALARS)
def test_es256_der_matches_encode_dss_signature(r: int, s: int) -> None:
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert _es256_der(signature) == _reference_der(signature)
