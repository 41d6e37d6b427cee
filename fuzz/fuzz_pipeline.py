"""atheris target: the whole verification pipeline (``check_presentation``, DESIGN §6).

Mode 0 feeds the input as presentation text (``RP1:`` QR payloads are unwrapped first, as the
verifier service and CLI do); mode 1 is the signed form of :func:`fuzz_world.decode_signed_case`
— JSON parts that the harness signs with the trusted issuer and holder keys, so mutations get
past the signatures. Either way the result must honour the DESIGN §6 contract and agree with
the reference verifier of tests/fuzz/reference.py; anything else is a crash.

Run: ``fuzz/run pipeline 600`` (fuzz/README.md).
"""

from __future__ import annotations

import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["wire"]):
    from fuzz_world import Refused, decode_signed_case, expect, split_mode, verify_case

    from wire.errors import Malformed, PayloadTooLarge
    from wire.qrcodec import presentation_from_transport


def test_one_input(data: bytes) -> None:
    mode, rest = split_mode(data, 2)
    if mode == 1:
        text, profile, status = decode_signed_case(rest)
        verify_case(text, profile, status)
        return
    profile = rest[0] if rest else 0
    raw = rest[1:].decode("utf-8", "surrogateescape")
    plain = expect((Malformed, PayloadTooLarge), lambda: presentation_from_transport(raw))
    if not isinstance(plain, Refused):
        verify_case(plain, profile, 0)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
