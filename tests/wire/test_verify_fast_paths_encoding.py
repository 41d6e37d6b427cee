"""The verifier's byte-level shortcuts against the standard library: translated base64url
decoding, SHA-256 digests, the JSON depth limit, and ES256 signatures converted to DER.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.encoding import (
    B64U_TO_STRICT,
    MAX_JSON_DEPTH,
    b64u_decode,
    b64u_decode_translated,
    digest_b64u,
    loads_json,
    parse_json,
)
from wire.errors import Malformed
from wire.jws import _es256_der

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
