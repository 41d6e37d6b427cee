"""atheris target: the ``RP1`` QR transport decoder and Base45 (wire/qrcodec.py, wire/base45.py).

A scanned code is arbitrary text. Decoding must end in a presentation of at most
``max_output`` UTF-8 bytes that re-encodes losslessly, ``malformed`` or ``payload_too_large``.

Modes: 0 the input as Latin-1 text; 1 ``RP1:`` + Base45 of the input (any binary body);
2 a packed body: the input up to ``\\xff\\xff`` is the skeleton (DEFLATEd here with the
format's dictionary), the rest the side table; 3 a text-mode body (the input DEFLATEd);
4 ``b45decode`` of the input as Latin-1 text. The byte after the mode picks ``max_output``.

Run: ``fuzz/run qrcodec 600`` (fuzz/README.md).
"""

from __future__ import annotations

import sys
import zlib

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["wire"]):
    from fuzz_world import Refused, expect, split_mode

    from wire.base45 import b45decode, b45encode
    from wire.errors import Malformed, PayloadTooLarge
    from wire.qrcodec import PREFIX, ZDICT, decode_qr_payload, encode_qr_payload

_LIMITS = (16 * 1024, 300, 64, 4096)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT)
    return compressor.compress(data) + compressor.flush()


def _payload(mode: int, body: bytes) -> str:
    if mode == 0:
        return body.decode("latin-1")
    if mode == 1:
        return PREFIX + b45encode(body)
    if mode == 2:
        skeleton, _, side = body.partition(b"\xff\xff")
        return PREFIX + b45encode(b"\x01" + _deflate(skeleton) + side)
    return PREFIX + b45encode(b"\x00" + _deflate(body))


def test_one_input(data: bytes) -> None:
    mode, rest = split_mode(data, 5)
    if mode == 4:
        text = rest.decode("latin-1")
        decoded = expect((Malformed,), lambda: b45decode(text, Malformed))
        if not isinstance(decoded, Refused):
            assert b45encode(decoded) == text, "Base45 accepted a non-canonical text"
        return
    limit = _LIMITS[rest[0] % len(_LIMITS)] if rest else _LIMITS[0]
    payload = _payload(mode, rest[1:])
    plain = expect(
        (Malformed, PayloadTooLarge), lambda: decode_qr_payload(payload, max_output=limit)
    )
    if isinstance(plain, Refused):
        return
    assert len(plain.encode("utf-8", "surrogatepass")) <= limit, "decoded beyond max_output"
    # Re-encoding costs three decodes, so long outputs are round-tripped for one input in
    # eight (chosen by content, so a crash still reproduces).
    if len(plain) <= 1024 or zlib.crc32(data) % 8 == 0:
        assert decode_qr_payload(encode_qr_payload(plain), max_output=limit) == plain


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
