"""Strict base64url and JSON in every part of a presentation (DESIGN §6 "Parsing is strict").

The same defect gets the code of the part it is in: the issuer-signed JWT ``malformed``, a
disclosure ``invalid_disclosure``, the KB-JWT ``holder_binding_invalid``, the status list token
``status_invalid``. Every defective part is signed as it is (issuer and status parts with the
trusted issuer key, the KB-JWT with the holder key) so that only the encoding is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.adversarial.builders import b64, extra_disclosures, issuer_bytes, kb_bytes, valid
from tests.adversarial.builders import with_member as member
from tests.adversarial.case import Builder, Case
from tests.adversarial.cases_payload import NOT_JSON_TEXT
from tests.adversarial.world import SH_ES256, Ctx
from tests.hostile import HOLDER_EDDSA, changed, sign_segments
from wire.disclosures import make_disclosure
from wire.encoding import b64u_decode, json_dumps
from wire.errors import Malformed
from wire.presentation import sd_hash

__all__ = ["STRICT_ENCODING"]

Transform = Callable[[bytes], bytes]


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _duplicate_first(raw: bytes) -> bytes:
    """The object's first member name once more, with another value."""
    first = str(next(iter(json.loads(raw))))
    return raw[:-1] + b',"' + first.encode() + b'":"x"}'


#: Defects injected into an otherwise genuine JSON object (header or claims).
OBJECT_DEFECTS: dict[str, Transform] = {
    "duplicate-member": _duplicate_first,
    "duplicate-nested-member": lambda raw: member(raw, b'"x":{"a":1,"a":2}'),
    "nan": lambda raw: member(raw, b'"x":NaN'),
    "infinity": lambda raw: member(raw, b'"x":Infinity'),
    "negative-infinity": lambda raw: member(raw, b'"x":-Infinity'),
    "overflowing-float": lambda raw: member(raw, b'"x":1e999'),
    "5000-digit-integer": lambda raw: member(raw, b'"x":' + b"7" * 5000),
    "lone-surrogate": lambda raw: member(raw, b'"x":"\\ud800"'),
    "lone-surrogate-member-name": lambda raw: member(raw, b'"\\udc00":1'),
    "invalid-utf8": lambda raw: member(raw, b'"x":"\xff"'),
    "overlong-utf8": lambda raw: member(raw, b'"x":"\xc0\xaf"'),
    "utf8-bom": lambda raw: b"\xef\xbb\xbf" + raw,
    "utf16": lambda raw: raw.decode().encode("utf-16-le"),
    "nesting-33": lambda raw: member(raw, b'"x":' + _nested(32)),
    "nesting-5000": lambda raw: member(raw, b'"x":' + _nested(5000)),
    "trailing-data": lambda raw: raw + b"{}",
    "wrapped-in-array": lambda raw: b"[" + raw + b"]",
    "single-quoted": lambda raw: raw.replace(b'"', b"'"),
    "comment": lambda raw: raw[:-1] + b"/**/}",
    "trailing-comma": lambda raw: raw[:-1] + b",}",
    "nul-after-object": lambda raw: raw + b"\x00",
}
#: RFC 8259 allows insignificant whitespace around the value; strict is not the same as picky.
WHITESPACE: Transform = lambda raw: b" \n" + raw + b"\t "  # noqa: E731
NESTING_32: Transform = lambda raw: member(raw, b'"x":' + _nested(31))  # noqa: E731


def _status_bytes(transform: Transform) -> Builder:
    """A genuine presentation whose status list token has ``transform``-ed claims bytes."""

    def build(ctx: Ctx) -> str:
        head, claims, _ = ctx.status_token().split(".")
        raw = transform(b64u_decode(claims, Malformed))
        token = sign_segments(head, b64(raw), SH_ES256)
        ctx.serve(200, token.encode(), {"Content-Type": "application/statuslist+jwt"})
        return valid()(ctx)

    return build


PARTS: dict[str, tuple[str, Callable[[Transform], Builder], bool]] = {
    "header": ("malformed", lambda t: issuer_bytes(t, part="header"), False),
    "payload": ("malformed", issuer_bytes, False),
    "kb-payload": ("holder_binding_invalid", kb_bytes, False),
    "status-token": ("status_invalid", _status_bytes, True),
}


def _object_cases() -> list[Case]:
    cases = []
    for part, (reason, builder, fetch) in PARTS.items():
        for name, transform in OBJECT_DEFECTS.items():
            cases.append(
                Case(f"{part}-{name}", "strict-encoding", reason, builder(transform), fetch=fetch)
            )
        cases.append(
            Case(f"{part}-whitespace-accepted", "strict-encoding", None, builder(WHITESPACE))
        )
        cases.append(
            Case(f"{part}-nesting-32-accepted", "strict-encoding", None, builder(NESTING_32))
        )
    return cases


# --- disclosures ---------------------------------------------------------------------------

DISCLOSURE_DEFECTS: dict[str, bytes] = {
    "nan": b'["c2FsdA","note",NaN]',
    "infinity": b'["c2FsdA","note",Infinity]',
    "overflowing-float": b'["c2FsdA","note",1e999]',
    "5000-digit-integer": b'["c2FsdA","note",' + b"7" * 5000 + b"]",
    "duplicate-member": b'["c2FsdA","note",{"a":1,"a":2}]',
    "lone-surrogate": b'["c2FsdA","note","\\ud800"]',
    "invalid-utf8": b'["c2FsdA","note","\xff"]',
    "utf8-bom": b'\xef\xbb\xbf["c2FsdA","note",1]',
    "nesting-33": b'["c2FsdA","note",' + _nested(32) + b"]",
    "trailing-data": b'["c2FsdA","note",1][]',
    "single-quoted": b"['c2FsdA','note',1]",
}

# --- base64url -------------------------------------------------------------------------------


def _fill(obj: dict[str, object]) -> dict[str, object]:
    """``obj`` plus a filler member so that its base64url form has unused trailing bits."""
    for size in range(1, 4):
        padded = changed(obj, pad="x" * size)
        if len(json_dumps(padded)) % 3:
            return padded
    raise AssertionError("unreachable")


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _vary(segment: str, variant: str) -> str:
    """A non-canonical spelling of ``segment`` that a lenient decoder would accept."""
    assert len(segment) % 4 in (2, 3)  # so the last character carries unused low bits
    if variant == "padding":
        return segment + "=" * (-len(segment) % 4)
    if variant == "standard-alphabet":
        std = segment.translate(str.maketrans("-_", "+/"))
        return std if std != segment else segment[:-1] + "+"
    if variant == "space-inside":
        return segment[:8] + " " + segment[8:]
    if variant == "line-break-inside":
        return segment[:8] + "\n" + segment[8:]
    assert variant == "trailing-bits"
    return segment[:-1] + ALPHABET[ALPHABET.index(segment[-1]) | 1]


VARIANTS = ("padding", "standard-alphabet", "space-inside", "line-break-inside", "trailing-bits")


def _issuer_segment(part: str, variant: str) -> Builder:
    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        head, body = b64(json_dumps(_fill(h.header))), b64(json_dumps(_fill(h.payload)))
        head = _vary(head, variant) if part == "header" else head
        body = _vary(body, variant) if part == "payload" else body
        jwt = sign_segments(head, body, SH_ES256)
        if part == "signature":
            unsigned, signature = jwt.rsplit(".", 1)
            jwt = f"{unsigned}.{_vary(signature, variant)}"
        return ctx.present(h, jwt=jwt)

    return build


def _kb_segment(part: str, variant: str) -> Builder:
    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        body = ctx.present(h, kb=False)
        claims = {"iat": ctx.now, "aud": ctx.audience, "nonce": ctx.nonce, "sd_hash": sd_hash(body)}
        head = b64(json_dumps(_fill({"alg": "EdDSA", "typ": "kb+jwt"})))
        payload = b64(json_dumps(_fill(claims)))
        head = _vary(head, variant) if part == "header" else head
        payload = _vary(payload, variant) if part == "payload" else payload
        token = sign_segments(head, payload, HOLDER_EDDSA)
        if part == "signature":
            unsigned, signature = token.rsplit(".", 1)
            token = f"{unsigned}.{_vary(signature, variant)}"
        return body + token

    return build


def _disclosure_segment(variant: str) -> Builder:
    """A referenced disclosure (its variant's own digest is in ``_sd``): only the encoding is
    wrong."""

    def build(ctx: Ctx) -> str:
        for size in range(1, 4):
            encoded = make_disclosure("note", "?" * size + "~>").encoded
            if len(encoded) % 4 in (2, 3):
                return extra_disclosures([_vary(encoded, variant)])(ctx)
        raise AssertionError("unreachable")

    return build


def _base64_cases() -> list[Case]:
    cases = []
    for variant in VARIANTS:
        for part in ("header", "payload", "signature"):
            cases.append(
                Case(
                    f"issuer-{part}-b64-{variant}",
                    "strict-encoding",
                    "malformed",
                    _issuer_segment(part, variant),
                )
            )
            cases.append(
                Case(
                    f"kb-{part}-b64-{variant}",
                    "strict-encoding",
                    "holder_binding_invalid",
                    _kb_segment(part, variant),
                )
            )
        cases.append(
            Case(
                f"disclosure-b64-{variant}",
                "strict-encoding",
                "invalid_disclosure",
                _disclosure_segment(variant),
            )
        )
    return cases


# --- the presentation as text ---------------------------------------------------------------


def _edit(transform: Callable[[str], str]) -> Builder:
    return lambda ctx: transform(valid()(ctx))


def _bare_jwt(ctx: Ctx) -> str:
    return valid()(ctx).split("~", 1)[0]


TEXT: list[Case] = [
    Case(
        "text-non-ascii-inside",
        "strict-encoding",
        "malformed",
        _edit(lambda t: t[:40] + "é" + t[41:]),
    ),
    Case(
        "text-fullwidth-tilde",
        "strict-encoding",
        "malformed",
        _edit(lambda t: t.replace("~", "～", 1)),
    ),
    Case(
        "text-nul-inside", "strict-encoding", "malformed", _edit(lambda t: t[:40] + "\x00" + t[41:])
    ),
    Case(
        "text-lone-surrogate-inside",
        "strict-encoding",
        "malformed",
        _edit(lambda t: t[:40] + "\ud800" + t[41:]),
        http=NOT_JSON_TEXT,
    ),
    Case("text-bom-prefix", "strict-encoding", "malformed", _edit(lambda t: "\ufeff" + t)),
    Case("text-leading-line-feed", "strict-encoding", "malformed", _edit(lambda t: "\n" + t)),
    Case("text-one-trailing-lf-accepted", "strict-encoding", None, _edit(lambda t: t + "\n")),
    Case("text-one-trailing-crlf-accepted", "strict-encoding", None, _edit(lambda t: t + "\r\n")),
    Case(
        "text-two-trailing-lfs",
        "strict-encoding",
        "holder_binding_invalid",
        _edit(lambda t: t + "\n\n"),
    ),
    Case(
        "text-trailing-cr", "strict-encoding", "holder_binding_invalid", _edit(lambda t: t + "\r")
    ),
    Case(
        "text-trailing-space", "strict-encoding", "holder_binding_invalid", _edit(lambda t: t + " ")
    ),
    Case(
        "text-trailing-tab", "strict-encoding", "holder_binding_invalid", _edit(lambda t: t + "\t")
    ),
    Case("text-bare-issuer-jwt", "strict-encoding", "malformed", _bare_jwt),
    Case("text-tilde-only", "strict-encoding", "malformed", lambda _ctx: "~"),
    Case(
        "text-empty-disclosure-slot",
        "strict-encoding",
        "malformed",
        _edit(lambda t: t.replace("~", "~~", 1)),
    ),
]

STRICT_ENCODING: list[Case] = [
    *_object_cases(),
    *(
        Case(
            f"disclosure-{name}",
            "strict-encoding",
            "invalid_disclosure",
            extra_disclosures([b64(raw)]),
        )
        for name, raw in DISCLOSURE_DEFECTS.items()
    ),
    Case(
        "disclosure-nesting-32-accepted",
        "strict-encoding",
        None,
        extra_disclosures([b64(b'["c2FsdA","note",' + _nested(31) + b"]")]),
    ),
    *_base64_cases(),
    *TEXT,
]
