"""Validity times and input sizes (DESIGN §6).

``times``: ``exp`` is expired once ``exp <= now - leeway`` (60 s), ``iat``/``nbf`` not yet valid
once ``> now + leeway``; every boundary has its accepted neighbour as a control case. Times are
JSON integers — ``true``, strings, floats (also ``1780000000.0``), ``null`` and integers too
long for any parser are ``malformed``; a far-future integer is the issuer's business.

``size``: a presentation over 16 KiB (UTF-8 bytes, counted before any parsing) or with more than
64 disclosures is ``payload_too_large``; the service's 64 KiB body limit answers 413 first for
larger bodies.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.adversarial.builders import header, issuer_bytes, payload, valid, with_member
from tests.adversarial.case import Builder, Case
from tests.adversarial.world import Ctx
from tests.hostile import DROP, changed
from wire.disclosures import digest, make_disclosure

__all__ = ["SIZE", "TIMES"]

MAX = 16 * 1024
#: A lone surrogate cannot be sent in a JSON body (RFC 8259 §8.2, I-JSON): the service's request
#: parser refuses it as invalid input (422) before any verification.
NOT_JSON_TEXT = (422, "invalid_input")


def _at(claim: str, offset: int) -> Builder:
    """``claim`` = now + ``offset``."""
    return lambda ctx: payload(**{claim: ctx.now + offset})(ctx)


_DIGITS = b"9" * 5000  # beyond any JSON parser's integer limit (Python's is 4300 digits)


def _member(claim: str, literal: bytes) -> Callable[[bytes], bytes]:
    """Adds ``"claim": literal`` (raw JSON) to the payload bytes."""
    return lambda raw: with_member(raw, b'"%s":%s' % (claim.encode(), literal))


TIMES: list[Case] = [
    Case("exp-exactly-now-accepted", "times", None, _at("exp", 0)),
    Case("exp-1-s-ago-accepted", "times", None, _at("exp", -1)),
    Case("exp-59-s-ago-accepted", "times", None, _at("exp", -59)),
    Case("exp-60-s-ago-leeway-boundary", "times", "expired", _at("exp", -60)),
    Case("exp-61-s-ago", "times", "expired", _at("exp", -61)),
    Case("exp-zero", "times", "expired", payload(exp=0)),
    Case("exp-negative", "times", "expired", payload(exp=-(2**63))),
    Case("exp-2-pow-64-accepted", "times", None, payload(exp=2**64)),
    Case("iat-60-s-ahead-accepted", "times", None, _at("iat", 60)),
    Case("iat-61-s-ahead", "times", "not_yet_valid", _at("iat", 61)),
    Case("iat-2-pow-64", "times", "not_yet_valid", payload(iat=2**64)),
    Case("nbf-60-s-ahead-accepted", "times", None, _at("nbf", 60)),
    Case("nbf-61-s-ahead", "times", "not_yet_valid", _at("nbf", 61)),
    Case("nbf-in-the-past-accepted", "times", None, _at("nbf", -3600)),
    # An expired credential is expired even if it also claims a future iat: expiry comes first.
    Case("exp-past-and-iat-future", "times", "expired", payload(exp=1, iat=2**40)),
    *(
        Case(f"{claim}-{name}", "times", "malformed", payload(**{claim: value}))
        for claim in ("exp", "iat", "nbf")
        for name, value in [
            ("true", True),
            ("false", False),
            ("string", "1780000000"),
            ("float", 1.9e9),
            ("integral-float", 1_780_000_000.0),
            ("null", None),
            ("list", [1_780_000_000]),
            ("object", {"$date": 1_780_000_000}),
        ]
    ),
    Case("exp-missing", "times", "malformed", payload(exp=DROP)),
    Case("iat-missing", "times", "malformed", payload(iat=DROP)),
    *(
        Case(
            f"{claim}-5000-digit-integer",
            "times",
            "malformed",
            issuer_bytes(_member(claim, _DIGITS)),
        )
        for claim in ("exp", "iat", "nbf")
    ),
    Case(
        "exp-exponent-notation",
        "times",
        "malformed",
        issuer_bytes(lambda raw: with_member(raw, b'"exp":1.9e9')),
    ),
]

# --- size ----------------------------------------------------------------------------------


def _sized(target: str) -> Builder:
    """A genuine presentation padded (with a signed ``note`` claim) to the largest length
    <= 16 KiB (``target`` "max") or the smallest length above it ("over")."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()

        def text(filler: int) -> str:
            return ctx.present(h, payload=changed(h.payload, note="x" * filler))

        filler = max(0, (MAX - len(text(0))) * 3 // 4 - 8)
        while len(text(filler + 1)) <= MAX:
            filler += 1
        return text(filler) if target == "max" else text(filler + 1)

    return build


def _disclosures(count: int) -> Builder:
    """``count`` referenced disclosures (and no others)."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        extra = [make_disclosure(f"x{i}", i) for i in range(count)]
        body = changed(h.payload, _sd=sorted(d.digest for d in extra))
        return ctx.present(h, payload=body, disclosures=[d.encoded for d in extra])

    return build


def _text(text: str) -> Builder:
    return lambda _ctx: text


def _giant(part: str) -> Builder:
    """A genuine presentation with one oversized part."""
    big = "y" * 20_000
    if part == "disclosure":
        return lambda ctx: _with_disclosure(ctx, make_disclosure("note", big).encoded)
    if part == "nonce":
        return lambda ctx: ctx.present(nonce=big)
    return header(x=big)


def _with_disclosure(ctx: Ctx, encoded: str) -> str:
    h = ctx.hostile()
    body = changed(h.payload, _sd=sorted([*h.payload["_sd"], digest(encoded)]))
    return ctx.present(h, payload=body, disclosures=[*h.disclosures, encoded])


SIZE: list[Case] = [
    Case("presentation-16-kib-accepted", "size", None, _sized("max")),
    Case("presentation-just-over-16-kib", "size", "payload_too_large", _sized("over")),
    Case("garbage-16-kib-plus-1", "size", "payload_too_large", _text("A" * (MAX + 1))),
    Case("garbage-16-kib-plus-1-with-tilde", "size", "payload_too_large", _text("A" * MAX + "~")),
    Case("garbage-40-kib", "size", "payload_too_large", _text("A" * 40_000 + "~")),
    Case(
        "garbage-1-mib",
        "size",
        "payload_too_large",
        _text("A" * 2**20 + "~"),
        http=(413, "payload_too_large"),  # the service's 64 KiB body limit answers first
    ),
    Case("64-disclosures-accepted", "size", None, _disclosures(64), profile="any"),
    Case("65-disclosures", "size", "payload_too_large", _disclosures(65), profile="any"),
    Case("10000-tildes", "size", "payload_too_large", _text("~" * 10_000)),
    Case("6000-cjk-characters-18000-bytes", "size", "payload_too_large", _text("字" * 6000)),
    Case("5000-cjk-characters-is-only-malformed", "size", "malformed", _text("字" * 5000)),
    Case(
        "6000-lone-surrogates",
        "size",
        "payload_too_large",
        _text("\ud800" * 6000),
        http=NOT_JSON_TEXT,
    ),
    Case("giant-header", "size", "payload_too_large", _giant("header")),
    Case("giant-disclosure", "size", "payload_too_large", _giant("disclosure")),
    Case("giant-kb-nonce", "size", "payload_too_large", _giant("nonce")),
    Case("genuine-presentation-accepted", "size", None, valid()),
]
