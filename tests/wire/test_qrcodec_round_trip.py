"""QR transport ``RP1`` (docs/qr-transport.md): the frozen format constants, and every text,
presentation-shaped or not, decoding back to itself.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wire.qrcodec_helpers import (
    ALL_CLAIMS,
    AUDIENCES,
    PROFILES,
    make_presentation,
    quoted_digest,
)
from wire import qrcodec
from wire.base45 import B45_ALPHABET, b45decode
from wire.encoding import b64u_encode
from wire.errors import Malformed, PayloadTooLarge
from wire.jwk import public_jwk
from wire.qrcodec import (
    PREFIX,
    ZDICT,
    decode_qr_payload,
    encode_qr_payload,
    is_qr_payload,
    presentation_from_transport,
)

# --- format constants -------------------------------------------------------------------------


def test_public_surface() -> None:
    assert sorted(qrcodec.__all__) == [
        "MAX_OUTPUT",
        "PREFIX",
        "ZDICT",
        "decode_qr_payload",
        "encode_qr_payload",
        "is_qr_payload",
        "presentation_from_transport",
    ]
    assert PREFIX == "RP1:"
    assert qrcodec.MAX_OUTPUT == 16 * 1024


def test_dictionary_is_frozen_for_version_1() -> None:
    # Changing ZDICT breaks every RP1 payload in the field: a new dictionary is a new version.
    assert len(ZDICT) == 1426
    assert hashlib.sha256(ZDICT).hexdigest() == (
        "a1de90f53b59685396cf1449863d62c9f5462fca1ef1937a0f24d52137f1fb73"
    )


# --- round trips ------------------------------------------------------------------------------


def _mode(payload: str) -> int:
    return b45decode(payload[len(PREFIX) :], Malformed)[0]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("kb", [True, False], ids=["phone", "paper"])
def test_presentations_round_trip_in_packed_mode(alg: str, profile: str, kb: bool) -> None:
    plain = make_presentation(PROFILES[profile], alg=alg, kb=kb, aud=AUDIENCES[profile])
    compact = encode_qr_payload(plain)
    assert compact.startswith(PREFIX)
    assert set(compact) <= set(B45_ALPHABET)
    assert _mode(compact) == 1
    assert decode_qr_payload(compact) == plain
    assert presentation_from_transport(compact) == plain
    assert len(compact) < len(plain) * 0.6


@settings(max_examples=300)
@given(st.text())
def test_any_text_round_trips(text: str) -> None:
    assert decode_qr_payload(encode_qr_payload(text), max_output=10**6) == text


@pytest.mark.parametrize(
    "text",
    ["", "~", "~~", ".", "..~.", "\ud800", "a\udfff~b", "RP1:", "张三丰~浦东新区", "A" * 5000],
)
def test_edge_texts_round_trip(text: str) -> None:
    assert decode_qr_payload(encode_qr_payload(text)) == text


_B64U_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@st.composite
def _json_ish(draw: st.DrawFn, earlier: list[str]) -> bytes:
    """Bytes shaped like the JSON of a JWT part or disclosure, with tokens the packer replaces."""
    pieces: list[bytes] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 6))
        if kind == 3 and not earlier:
            kind = 0
        if kind == 0:
            pieces.append(draw(st.binary(max_size=12)))
        elif kind == 1:
            pieces.append(draw(st.sampled_from([b'"', b"{", b'"_sd":[', b",", b"\x00", b"\x06"])))
        elif kind == 2:
            size = draw(st.sampled_from([15, 16, 17, 32, 33, 64]))
            pieces.append(
                b'"' + b64u_encode(draw(st.binary(min_size=size, max_size=size))).encode()
            )
            pieces.append(draw(st.sampled_from([b'"', b"", b'="'])))
        elif kind == 3:  # a disclosure digest
            pieces.append(quoted_digest(draw(st.sampled_from(earlier))))
        elif kind == 4:
            key = ec.derive_private_key(draw(st.integers(1, 2**64)), ec.SECP256R1())
            jwk = public_jwk(key)
            pieces.append(f'"x":"{jwk["x"]}","y":"{jwk["y"]}"'.encode())
        elif kind == 5:  # quoted base64url-ish text, mostly not canonical
            pieces.append(b'"' + draw(st.text(_B64U_CHARS, min_size=22, max_size=45)).encode())
            pieces.append(b'"')
        else:  # an sd_hash, if this segment ends up last
            pieces.append(quoted_digest("".join(f"{segment}~" for segment in earlier)))
    return b"".join(pieces)


@st.composite
def _segment_lists(draw: st.DrawFn) -> str:
    """``~``/``.``-joined pieces of canonical and non-canonical base64url (the packed path)."""
    segments: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        parts = []
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                parts.append(b64u_encode(draw(_json_ish(segments))))
            else:
                parts.append(draw(st.text(alphabet=_B64U_CHARS, max_size=30)))
        segments.append(".".join(parts))
    return "~".join(segments)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_segment_lists())
def test_structured_looking_text_round_trips(text: str) -> None:
    compact = encode_qr_payload(text)
    assert decode_qr_payload(compact, max_output=10**6) == text


@settings(max_examples=40, deadline=None)
@given(
    claims=st.lists(st.sampled_from(ALL_CLAIMS), unique=True),
    alg=st.sampled_from(["ES256", "EdDSA"]),
    kb=st.booleans(),
)
def test_realistic_presentations_round_trip(claims: list[str], alg: str, kb: bool) -> None:
    plain = make_presentation(claims, alg=alg, kb=kb)
    compact = encode_qr_payload(plain)
    assert _mode(compact) == 1
    assert decode_qr_payload(compact) == plain


def test_size_limit_is_exact_in_both_modes() -> None:
    plain = make_presentation(PROFILES["landlord"])
    for text in (plain, "张三丰" * 100):
        size = len(text.encode())
        compact = encode_qr_payload(text)
        assert decode_qr_payload(compact, max_output=size) == text
        with pytest.raises(PayloadTooLarge):
            decode_qr_payload(compact, max_output=size - 1)
        with pytest.raises(PayloadTooLarge):
            presentation_from_transport(compact, max_output=size - 1)


def test_plain_presentations_pass_through_unchanged() -> None:
    plain = make_presentation(PROFILES["landlord"])
    assert not is_qr_payload(plain)
    assert is_qr_payload(encode_qr_payload(plain))
    assert presentation_from_transport(plain) == plain
    assert presentation_from_transport("not a presentation") == "not a presentation"
    with pytest.raises(Malformed):
        presentation_from_transport("RP1:a")
