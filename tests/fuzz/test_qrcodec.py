"""Fuzzing the ``RP1`` QR transport decoder and Base45 (wire/qrcodec.py, wire/base45.py).

A scanned QR code is the verifier's most exposed input. Whatever it holds, decoding ends in a
presentation text of at most ``max_output`` bytes, ``malformed`` or ``payload_too_large`` —
including for DEFLATE streams and skeletons built to get past the first checks.
"""

from __future__ import annotations

import zlib

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import attempt, fuzz_settings, hostile_text
from wire.base45 import B45_ALPHABET, b45decode, b45encode
from wire.errors import Malformed, PayloadTooLarge, PermitError, StatusInvalid, VerificationError
from wire.qrcodec import PREFIX, ZDICT, decode_qr_payload, encode_qr_payload

_MAX_OUTPUTS = st.sampled_from([0, 1, 64, 300, 16 * 1024])


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT)
    return compressor.compress(data) + compressor.flush()


@fuzz_settings(150)
@given(
    st.text(alphabet=B45_ALPHABET, max_size=40) | hostile_text(20),
    st.sampled_from([Malformed, StatusInvalid]),
)
def test_b45decode_accepts_exactly_the_canonical_texts(
    text: str, error: type[VerificationError]
) -> None:
    data = attempt(lambda: b45decode(text, error))
    if isinstance(data, PermitError):
        assert type(data) is error
    else:
        assert b45encode(data) == text


_VARINTS = st.sampled_from([b"\x00", b"\x01", b"\x7f", b"\x80\x01", b"\x80\x00", b"\xff" * 6])
_OPCODES = st.sampled_from([bytes([op]) for op in range(9)])
_CONTENT = st.sampled_from([b'{"alg":"ES256"}', b'"', b"[", b"~", b"abc", "浦东".encode()])


@st.composite
def _skeletons(draw: st.DrawFn) -> bytes:
    """Opcode streams of the packed mode: opcodes with (often bad) varints between content."""
    pieces = draw(
        st.lists(
            _CONTENT | st.tuples(_OPCODES, _VARINTS | st.just(b"")).map(b"".join),
            max_size=12,
        )
    )
    return b"".join(pieces)


@st.composite
def _payloads(draw: st.DrawFn) -> str:
    """``RP1:`` texts whose Base45 and DEFLATE layers are valid, so the inner parser is hit."""
    mode = draw(st.sampled_from([0, 1, 1, 2]))
    if mode == 1:
        body = _deflate(draw(_skeletons())) + draw(st.binary(max_size=70))
    else:
        body = _deflate(draw(st.binary(max_size=60) | st.text(max_size=30).map(str.encode)))
        body += draw(st.sampled_from([b"", b"\x00"]))
    data = bytes([mode]) + body
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + data[cut + 1 :]
    return PREFIX + b45encode(data)


@fuzz_settings(150)
@given(
    _payloads()
    | hostile_text(30)
    | st.text(alphabet=B45_ALPHABET, max_size=60).map(lambda t: PREFIX + t),
    _MAX_OUTPUTS,
)
def test_decode_gives_a_bounded_text_or_a_documented_error(text: str, max_output: int) -> None:
    plain = attempt(lambda: decode_qr_payload(text, max_output=max_output))
    if isinstance(plain, PermitError):
        assert type(plain) in (Malformed, PayloadTooLarge)
        return
    assert len(plain.encode("utf-8", "surrogatepass")) <= max_output
    assert decode_qr_payload(encode_qr_payload(plain), max_output=max_output) == plain


@fuzz_settings(40)
@given(
    st.integers(1, 64 * 1024),
    st.integers(1, 4 * 1024 * 1024),
    st.sampled_from([0, 1]),
    st.sampled_from([b"\x00", b"A", b'"x"~']),
)
def test_inflation_stops_at_the_output_limit(
    max_output: int, size: int, mode: int, unit: bytes
) -> None:
    """A small code that inflates to megabytes (a DEFLATE bomb, in either mode) is refused
    as too large whenever it exceeds ``max_output``, and decoded only when it does not."""
    data = unit * (size // len(unit) + 1)
    text = PREFIX + b45encode(bytes([mode]) + _deflate(data))
    plain = attempt(lambda: decode_qr_payload(text, max_output=max_output))
    if len(data) > max_output:
        assert type(plain) is PayloadTooLarge
    elif isinstance(plain, str):
        assert len(plain.encode("utf-8", "surrogatepass")) <= max_output
    else:  # a packed skeleton within the limit may still expand beyond it (base64url is 4/3)
        assert type(plain) in (Malformed, PayloadTooLarge)
