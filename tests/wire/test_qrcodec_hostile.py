"""Hostile ``RP1`` payloads: bad prefixes and Base45, truncations, corrupt DEFLATE, inconsistent
skeletons and decompression bombs are all refused as ``malformed`` or ``payload_too_large``,
without echoing the input.
"""

from __future__ import annotations

import sys
import tracemalloc
import zlib
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.wire.qrcodec_helpers import PROFILES, make_presentation, quoted_digest
from wire.base45 import b45decode, b45encode
from wire.encoding import b64u_decode, b64u_encode
from wire.errors import Malformed, PayloadTooLarge
from wire.jwk import public_jwk
from wire.qrcodec import PREFIX, ZDICT, decode_qr_payload, encode_qr_payload


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
    jwt = b64u_encode(b"{" + quoted_digest(disclosure) + b"}") + "." + b64u_encode(b"\xaa\xbb")
    prefix = f"{jwt}~{disclosure}~"
    point = f'["{jwk["x"]}","{jwk["y"]}",'.encode() + quoted_digest(prefix) + b"]"
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


def _work(payload: str, refusal: type[Exception]) -> tuple[int, int]:
    """(Python lines executed, peak bytes allocated) to refuse ``payload``: deterministic work
    measures, where a wall-clock bound would be neither (the suite never asserts times)."""
    lines = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
        return tracer

    tracemalloc.start()
    sys.settrace(tracer)
    try:
        with pytest.raises(refusal):
            decode_qr_payload(payload)
    finally:
        sys.settrace(None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return lines, peak


def _sd_hash_references(count: int) -> str:
    return _packed(b"\x00" * count + b"\x04" * count)


def _reference_cycle(count: int) -> str:
    return _packed(b"\x00".join(b"\x03" + _varint((i + 1) % count) for i in range(count)))


@pytest.mark.parametrize(
    ("skeleton", "refusal", "size"),
    [(_sd_hash_references, PayloadTooLarge, 4000), (_reference_cycle, Malformed, 1500)],
    ids=["sd-hash-references", "reference-cycle"],
)
def test_reference_heavy_skeletons_stay_cheap(
    skeleton: Callable[[int], str], refusal: type[Exception], size: int
) -> None:
    # Thousands of sd_hash references, or a reference cycle through thousands of segments:
    # doubling the input at most (about) doubles the work and the memory — linear, not worse.
    lines, peak = _work(skeleton(size), refusal)
    lines_doubled, peak_doubled = _work(skeleton(2 * size), refusal)
    assert lines_doubled <= 2.5 * lines
    assert peak_doubled <= 2.5 * peak


def test_oversized_text_is_refused_before_decoding() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(PREFIX + "0" * 40_000)
    with pytest.raises(PayloadTooLarge):
        decode_qr_payload(PREFIX + "0" * 300, max_output=10)
