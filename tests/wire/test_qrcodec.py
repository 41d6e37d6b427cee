"""QR transport ``RP1`` (docs/qr-transport.md): round trips, QR size, hostile payloads."""

from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import pytest
import qrcode
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire import qrcodec
from wire.base45 import B45_ALPHABET, b45decode, b45encode
from wire.encoding import b64u_decode, b64u_encode, json_dumps
from wire.errors import Malformed, PayloadTooLarge
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.jws import sign_compact
from wire.qrcodec import (
    PREFIX,
    ZDICT,
    decode_qr_payload,
    encode_qr_payload,
    is_qr_payload,
    presentation_from_transport,
)

# --- a realistic synthetic presentation -------------------------------------------------------

ISSUER = "https://permits.sh.example/issuer"
VALUES: dict[str, Any] = {
    "permit_no": "310115202511210042",
    "name": "张三丰",
    "sex": "M",
    "birth_date": "1990-03-07",
    "id_number": "11010519900307123X",
    "hukou_address": "湖北省十堰市丹江口市武当山特区太和宫1号",
    "residence_address": {
        "region_code": "310115",
        "district": "浦东新区",
        "street": "世纪大道100号",
    },
    "permit_class": "standard",
    "issuing_authority": "上海市公安局浦东分局",
    "first_issued": "2019-06-01",
    "endorsed_until": "2026-11-21",
    "age_over_18": True,
    "age_over_60": False,
}
ALL_CLAIMS = [
    *(name for name in VALUES if name != "residence_address"),
    "residence_address",
    "residence_address.region_code",
    "residence_address.district",
    "residence_address.street",
]
PROFILES: dict[str, list[str]] = {
    "landlord": [
        "name",
        "permit_class",
        "residence_address",
        "residence_address.district",
        "endorsed_until",
    ],
    "school": [
        "name",
        "residence_address",
        "residence_address.region_code",
        "residence_address.district",
        "residence_address.street",
        "first_issued",
        "permit_class",
    ],
    "bank": [
        "name",
        "id_number",
        "residence_address",
        "residence_address.region_code",
        "residence_address.district",
        "residence_address.street",
        "endorsed_until",
    ],
    "agency": ALL_CLAIMS,
}
AUDIENCES = {
    "landlord": "urn:residence-permit:qr",
    "school": "urn:residence-permit:qr",
    "bank": "https://verifier.bank.example",
    "agency": "https://verifier.gov.example",
}


def _disclosure(name: str, value: Any) -> str:
    return b64u_encode(json_dumps([b64u_encode(os.urandom(16)), name, value]))


def _digest(disclosure: str) -> str:
    return b64u_encode(hashlib.sha256(disclosure.encode("ascii")).digest())


def _quoted_digest(text: str) -> bytes:
    return b'"' + _digest(text).encode() + b'"'


def _decoys(digests: list[str], count: int) -> list[str]:
    return sorted(digests + [b64u_encode(os.urandom(32)) for _ in range(count)])


@cache
def _keys(kind: str) -> tuple[PrivateKey, PrivateKey]:
    if kind == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())


def make_presentation(
    claims: Sequence[str], *, alg: str = "ES256", kb: bool = True, aud: str = AUDIENCES["landlord"]
) -> str:
    """An SD-JWT VC presentation as the issuer and wallet build it (DESIGN §2-§3), real crypto."""
    issuer_key, holder_key = _keys(alg)
    address = VALUES["residence_address"]
    sub = {name: _disclosure(name, value) for name, value in address.items()}
    address_disclosure = _disclosure(
        "residence_address", {"_sd": _decoys([_digest(d) for d in sub.values()], 1)}
    )
    top = {
        name: _disclosure(name, value)
        for name, value in VALUES.items()
        if name != "residence_address"
    }
    top["residence_address"] = address_disclosure
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "iat": 1763700000,
        "exp": 1795236000,
        "vct": "urn:residence-permit:cn:v1",
        "_sd_alg": "sha-256",
    }
    if kb:
        payload["cnf"] = {"jwk": public_jwk(holder_key)}
    payload["status"] = {
        "status_list": {"idx": 12345, "uri": "https://permits.sh.example/status/1"}
    }
    payload["_sd"] = _decoys([_digest(d) for d in top.values()], 3)
    header = {"typ": "dc+sd-jwt", "kid": thumbprint(public_jwk(issuer_key))}
    shown = [top[c] if "." not in c else sub[c.split(".")[1]] for c in claims]
    text = "~".join([sign_compact(header, payload, issuer_key), *shown]) + "~"
    if not kb:
        return text
    sd_hash = b64u_encode(hashlib.sha256(text.encode("ascii")).digest())
    kb_payload = {
        "iat": 1763700042,
        "aud": aud,
        "nonce": b64u_encode(os.urandom(16)),
        "sd_hash": sd_hash,
    }
    return text + sign_compact({"typ": "kb+jwt"}, kb_payload, holder_key)


def qr_version(text: str) -> int:
    """QR version at error correction M, or 41 when not even version 40 holds the text."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    try:
        qr.make(fit=True)
    except ValueError:  # qrcode's DataOverflowError / invalid version 41
        return 41
    return int(qr.version)


def measure(profile: str, alg: str = "ES256") -> dict[str, int]:
    plain = make_presentation(PROFILES[profile], alg=alg, aud=AUDIENCES[profile])
    compact = encode_qr_payload(plain)
    assert decode_qr_payload(compact) == plain
    return {
        "plain_chars": len(plain),
        "plain_version": qr_version(plain),
        "compact_chars": len(compact),
        "compact_version": qr_version(compact),
    }


# --- Base45 (RFC 9285) --------------------------------------------------------------------------

RFC9285_EXAMPLES = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
]


@pytest.mark.parametrize(("data", "text"), RFC9285_EXAMPLES)
def test_base45_rfc9285_examples(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text, Malformed) == data


@pytest.mark.parametrize(
    "text",
    [
        "GGW",  # 16 + 16*45 + 32*45^2 = 65536 > 65535
        "::",  # final pair 44 + 44*45 > 255
        "BB8A",  # one character left over
        "bb8",  # lower case is not in the alphabet
        "BB=",
        "BB\n",
        "ＢＢ8",  # full-width look-alikes
    ],
)
def test_base45_rejects_what_the_encoder_cannot_produce(text: str) -> None:
    with pytest.raises(Malformed):
        b45decode(text, Malformed)


@given(st.binary(max_size=300))
def test_base45_round_trip(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set(B45_ALPHABET)
    assert len(text) == len(data) // 2 * 3 + len(data) % 2 * 2
    assert b45decode(text, Malformed) == data


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


def test_landlord_fits_version_25_and_compact_always_beats_plain() -> None:
    sizes = {profile: measure(profile) for profile in PROFILES}
    assert sizes["landlord"]["compact_version"] <= 25
    for profile in ("school", "bank", "agency", "landlord"):
        assert sizes[profile]["compact_chars"] < sizes[profile]["plain_chars"]
        assert sizes[profile]["compact_version"] < sizes[profile]["plain_version"]
    # Even with every claim disclosed the compact form stays a phone-scannable QR code.
    assert sizes["agency"]["compact_version"] <= 26


def test_eddsa_landlord_fits_version_25() -> None:
    assert measure("landlord", "EdDSA")["compact_version"] <= 25


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
            pieces.append(_quoted_digest(draw(st.sampled_from(earlier))))
        elif kind == 4:
            key = ec.derive_private_key(draw(st.integers(1, 2**64)), ec.SECP256R1())
            jwk = public_jwk(key)
            pieces.append(f'"x":"{jwk["x"]}","y":"{jwk["y"]}"'.encode())
        elif kind == 5:  # quoted base64url-ish text, mostly not canonical
            pieces.append(b'"' + draw(st.text(_B64U_CHARS, min_size=22, max_size=45)).encode())
            pieces.append(b'"')
        else:  # an sd_hash, if this segment ends up last
            pieces.append(_quoted_digest("".join(f"{segment}~" for segment in earlier)))
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


@pytest.mark.parametrize("profile", ["landlord", "agency"])
def test_qr_image_round_trip_through_a_real_decoder(profile: str) -> None:
    compact = encode_qr_payload(make_presentation(PROFILES[profile], aud=AUDIENCES[profile]))
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=3, border=4)
    qr.add_data(compact)
    qr.make(fit=True)
    image = qr.make_image().get_image()
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [compact]
    assert decode_qr_payload(results[0].text) == decode_qr_payload(compact)


# --- hostile payloads -------------------------------------------------------------------------


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT)
    return compressor.compress(data) + compressor.flush()


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes([*out, n])


def _payload(binary: bytes) -> str:
    return PREFIX + b45encode(binary)


def _packed(skeleton: bytes, side: bytes = b"") -> str:
    return _payload(b"\x01" + _deflate(skeleton) + side)


def _malformed(payload: str) -> None:
    with pytest.raises(Malformed) as caught:
        decode_qr_payload(payload)
    assert caught.value.code == "malformed"
    assert str(caught.value) == Malformed.default_message  # never echoes input


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "RP1",
        "rp1:BB8",
        "RP2:BB8",
        " RP1:BB8",
        "eyJhbGciOiJFUzI1NiJ9.e30.sig~",
        "RP1:",  # no mode byte
    ],
)
def test_rejects_bad_prefix_and_version(payload: str) -> None:
    _malformed(payload)


@pytest.mark.parametrize("body", ["bb8", "GGW", "BB8A", "BB8\n", "BB8="])
def test_rejects_bad_base45(body: str) -> None:
    _malformed(PREFIX + body)


def test_rejects_unknown_mode() -> None:
    _malformed(_payload(b"\x02" + _deflate(b"x")))
    _malformed(_payload(b"\xff"))


def test_rejects_every_truncation() -> None:
    for text in (make_presentation(PROFILES["landlord"]), "张三丰 plain text " * 20):
        binary = b45decode(encode_qr_payload(text)[len(PREFIX) :], Malformed)
        for cut in range(len(binary)):
            _malformed(_payload(binary[:cut]))


def test_rejects_trailing_bytes() -> None:
    for text in (make_presentation(PROFILES["landlord"]), "plain text"):
        binary = b45decode(encode_qr_payload(text)[len(PREFIX) :], Malformed)
        _malformed(_payload(binary + b"\x00"))


@pytest.mark.parametrize(
    "stream",
    [
        b"\xff\xff",  # final block of the reserved type 11
        b"\x01\x05\x00\x05\x00hello",  # stored block whose NLEN is not ~LEN
        b"\x00",  # stored block cut off in its header
    ],
)
def test_rejects_corrupt_deflate(stream: bytes) -> None:
    _malformed(_payload(b"\x00" + stream))
    _malformed(_payload(b"\x01" + stream))


def test_rejects_text_that_is_not_utf8() -> None:
    _malformed(_payload(b"\x00" + _deflate(b"\xff\xfe")))


@pytest.mark.parametrize(
    ("skeleton", "side"),
    [
        (b"\x02\x10", b"\x00" * 15),  # side table shorter than the string it should hold
        (b"\x05\x02", b"\x00"),  # raw part longer than the side table
        (b"\x02\x80\x00", b""),  # varint with a redundant zero byte
        (b"\x02\xff\xff\xff\xff\xff\x01", b""),  # varint longer than 5 bytes
        (b"\x02", b""),  # operand missing
        (b"\x03\x05", b""),  # digest of a segment that does not exist
        (b"\x03\x00", b""),  # a segment quoting its own digest
        (b"\x03\x01\x00\x03\x00", b""),  # two segments quoting each other
        (b"\x04\x00x", b""),  # sd_hash outside the last segment
        (b"\x03\x01\x00\x04", b""),  # sd_hash over a segment that quotes the last one
        (b"\x07", b""),  # P-256 y without a preceding x
        (b"\x02 \x08", b"\xff" * 32),  # x that is not a field element
        (b"x\x06AB", b""),  # literal not at the start of a part
        (b"\x06AB\x02\x01", b"\x00"),  # literal followed by more than a separator
        (b"\x06A+B", b""),  # literal with a character that is not base64url
        (b"", b"\x00"),  # side-table bytes nobody uses
    ],
)
def test_rejects_inconsistent_skeletons(skeleton: bytes, side: bytes) -> None:
    _malformed(_packed(skeleton, side))


def test_every_opcode_decodes_as_documented() -> None:
    jwk = public_jwk(ec.derive_private_key(7, ec.SECP256R1()))
    x, y = b64u_decode(jwk["x"], Malformed), b64u_decode(jwk["y"], Malformed)
    salt = bytes(range(16))
    skeleton = b"".join(
        [
            b"{\x03\x01}",  # segment 0, part 0: the quoted digest of segment 1
            b"\x01\x05\x02",  # part 1: two raw side-table bytes
            b"\x00[\x02\x10]",  # segment 1: a quoted 16-byte string
            b"\x00\x06AB",  # segment 2, part 0: literal text
            b"\x01[\x02 ,",  # part 1: a quoted 32-byte P-256 x ...
            b"\x08" if y[-1] & 1 else b"\x07",  # ... its y, from the parity ...
            b",\x04]",  # ... and the sd_hash of everything up to the last "~"
        ]
    )
    disclosure = b64u_encode(b'["' + b64u_encode(salt).encode() + b'"]')
    jwt = b64u_encode(b"{" + _quoted_digest(disclosure) + b"}") + "." + b64u_encode(b"\xaa\xbb")
    prefix = f"{jwt}~{disclosure}~"
    point = f'["{jwk["x"]}","{jwk["y"]}",'.encode() + _quoted_digest(prefix) + b"]"
    expected = prefix + "AB." + b64u_encode(point)
    assert decode_qr_payload(_packed(skeleton, b"\xaa\xbb" + salt + x)) == expected


def test_fallback_bomb_is_refused_without_inflating_it() -> None:
    bomb = _payload(b"\x00" + _deflate(b"A" * 50_000_000))
    assert len(bomb) < 200_000
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(bomb)


def test_packed_skeleton_bomb_is_refused() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(_packed(b"{}" * 5_000_000))


def test_digest_references_cannot_amplify_past_the_limit() -> None:
    # 600 skeleton bytes that would expand to ~18 KB of base64url through digest references.
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(_packed(b"a\x00" + b"\x03\x00" * 300))
    assert len(decode_qr_payload(_packed(b"a\x00" + b"\x03\x00" * 300), max_output=10**5)) > 16384


def test_reference_heavy_skeletons_stay_cheap() -> None:
    # Thousands of sd_hash references, or a reference cycle through 3000 segments: linear work.
    started = time.perf_counter()
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(_packed(b"\x00" * 8000 + b"\x04" * 8000))
    with pytest.raises(Malformed):
        decode_qr_payload(
            _packed(b"\x00".join(b"\x03" + _varint((i + 1) % 3000) for i in range(3000)))
        )
    assert time.perf_counter() - started < 2


def test_oversized_text_is_refused_before_decoding() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(PREFIX + "0" * 40_000)
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(PREFIX + "0" * 300, max_output=10)


if __name__ == "__main__":  # pragma: no cover - prints the table of docs/qr-transport.md
    for alg in ("ES256", "EdDSA"):
        for profile in PROFILES:
            print(alg, profile, json.dumps(measure(profile, alg)))
