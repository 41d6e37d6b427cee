"""The compact QR form ``RP1:`` (docs/qr-transport.md), decoded by the verifier before the
pipeline: strict Base45 and DEFLATE, and output bounded by the 16 KiB limit of DESIGN §6
*before* it is inflated, so a compression bomb is ``payload_too_large`` and every other defect
``malformed``. Only the service and the CLI decode it; the wire pipeline takes plain text.
"""

from __future__ import annotations

from tests.adversarial.builders import header, valid
from tests.adversarial.case import TRANSPORT, Builder, Case
from tests.adversarial.world import Ctx
from wire.base45 import b45decode, b45encode
from wire.errors import Malformed
from wire.qrcodec import encode_qr_payload

__all__ = ["QR_TRANSPORT"]


def _compact(build: Builder, edit: str = "") -> Builder:
    """``build``'s presentation in the compact form, optionally damaged."""

    def compact(ctx: Ctx) -> str:
        text = encode_qr_payload(build(ctx))
        if edit == "truncated":
            return text[:-3]
        if edit == "trailing-lf":
            return text + "\n"
        return text

    return compact


def _fixed(text: str) -> Builder:
    return lambda _ctx: text


def _trailing_bytes(ctx: Ctx) -> str:
    data = b45decode(encode_qr_payload(valid()(ctx))[4:], Malformed)
    return "RP1:" + b45encode(data + b"\x00")


_CASES: list[tuple[str, str | None, Builder]] = [
    ("genuine-accepted", None, _compact(valid())),
    ("genuine-with-trailing-lf-accepted", None, _compact(valid(), "trailing-lf")),
    ("inflates-to-1-mib", "payload_too_large", _fixed(encode_qr_payload("A" * 2**20))),
    (
        "inflates-to-16-kib-plus-1",
        "payload_too_large",
        _fixed(encode_qr_payload("A" * (16 * 1024 + 1))),
    ),
    ("body-too-long", "payload_too_large", _fixed("RP1:" + "0" * 40_000)),
    ("empty", "malformed", _fixed("RP1:")),
    ("not-base45", "malformed", _fixed("RP1:!!!!~~")),
    ("unknown-mode", "malformed", _fixed("RP1:" + b45encode(b"\x07abc"))),
    ("truncated", "malformed", _compact(valid(), "truncated")),
    ("trailing-bytes", "malformed", _trailing_bytes),
    ("lone-surrogate-text", "malformed", _fixed(encode_qr_payload("\ud800~"))),
    ("alg-none-inside", "unsupported_alg", _compact(header(alg="none"))),
    ("rp2-prefix", "malformed", lambda ctx: "RP2:" + encode_qr_payload(valid()(ctx))[4:]),
    ("lower-case-prefix", "malformed", lambda ctx: "rp1:" + encode_qr_payload(valid()(ctx))[4:]),
]

QR_TRANSPORT: list[Case] = [
    Case(f"rp1-{name}", "qr-transport", reason, build, surfaces=TRANSPORT)
    for name, reason, build in _CASES
]
