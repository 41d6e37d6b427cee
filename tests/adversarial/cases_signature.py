"""Signature encodings of the issuer-signed JWT and the KB-JWT (RFC 7518 §3.4, RFC 8032 §5.1.7).

wire/jws.py accepts exactly the 64-byte ``r || s`` form with ``0 < r, s < n`` — no DER, no
other length — and Ed25519 signatures through ``cryptography``, which refuses a non-canonical
``S`` (``S >= L``). It does not require low-S ECDSA (RFC 7518 does not): ``(r, n - s)`` of a
genuine signature verifies. The control cases ``*-s-negated-accepted`` pin that behaviour; the
replay case ``kb-replay-with-negated-s`` (``cases_holder.py``) shows the malleability does not
get around replay protection, which keys on the holder key and nonce, never on signature bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.adversarial.builders import b64
from tests.adversarial.case import Builder, Case
from tests.adversarial.world import HOLDER_ES256, SH_EDDSA, SH_ES256, Ctx, kid
from tests.hostile import HOLDER_EDDSA, changed, jws, raw_sign
from wire.jwk import PrivateKey, alg_for_key
from wire.presentation import sd_hash

__all__ = ["ED25519_ORDER", "P256_ORDER", "SIGNATURE"]

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
#: Order ``L`` of the Ed25519 base point (RFC 8032 §5.1): a canonical ``S`` is below it.
ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493

Variant = Callable[[bytes], bytes]


def _n(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _der(sig: bytes) -> bytes:
    return encode_dss_signature(_int(sig[:32]), _int(sig[32:]))


def _ed_s_plus_l(sig: bytes) -> bytes:
    s = int.from_bytes(sig[32:], "little") + ED25519_ORDER
    return sig[:32] + s.to_bytes(32, "little")


ES256_VARIANTS: dict[str, tuple[str | None, Variant]] = {
    "r-s-zero": ("bad_signature", lambda sig: bytes(64)),
    "r-zero": ("bad_signature", lambda sig: bytes(32) + sig[32:]),
    "s-zero": ("bad_signature", lambda sig: sig[:32] + bytes(32)),
    "r-equals-n": ("bad_signature", lambda sig: _n(P256_ORDER) + sig[32:]),
    "s-equals-n": ("bad_signature", lambda sig: sig[:32] + _n(P256_ORDER)),
    "r-above-n": ("bad_signature", lambda sig: _n(P256_ORDER + 1) + sig[32:]),
    "all-ff": ("bad_signature", lambda sig: b"\xff" * 64),
    "r-s-swapped": ("bad_signature", lambda sig: sig[32:] + sig[:32]),
    "der-encoded": ("bad_signature", _der),
    "der-with-trailing-bytes": ("bad_signature", lambda sig: _der(sig) + b"\x00\x00"),
    "63-bytes": ("bad_signature", lambda sig: sig[:63]),
    "65-bytes-trailing-zero": ("bad_signature", lambda sig: sig + b"\x00"),
    "65-bytes-leading-zero": ("bad_signature", lambda sig: b"\x00" + sig),
    "one-byte": ("bad_signature", lambda sig: sig[:1]),
    "doubled": ("bad_signature", lambda sig: sig + sig),
    "s-negated-accepted": (None, lambda sig: sig[:32] + _n(P256_ORDER - _int(sig[32:]))),
}

ED25519_VARIANTS: dict[str, tuple[str | None, Variant]] = {
    "s-plus-l": ("bad_signature", _ed_s_plus_l),
    "zeros": ("bad_signature", lambda sig: bytes(64)),
    "identity-r-zero-s": ("bad_signature", lambda sig: b"\x01" + bytes(63)),
    "63-bytes": ("bad_signature", lambda sig: sig[:63]),
    "trailing-byte": ("bad_signature", lambda sig: sig + b"\x00"),
}


def _issuer(key: PrivateKey, variant: Variant, **head: object) -> Builder:
    """The issuer JWT signed by ``key`` (header ``alg``/``kid`` to match unless overridden),
    its signature transformed by ``variant``."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile(key=key)
        alg = alg_for_key(key)
        header = changed(h.header, **({"alg": alg, "kid": kid(key)} | head))
        unsigned = jws(header, h.payload, key).rsplit(".", 1)[0]
        signature = variant(raw_sign(key, unsigned.encode()))
        return ctx.present(h, jwt=f"{unsigned}.{b64(signature)}")

    return build


def _holder(base: str, key: PrivateKey, variant: Variant) -> Builder:
    """A genuine KB-JWT by ``key`` whose signature is transformed by ``variant``."""

    def build(ctx: Ctx) -> str:
        body = ctx.present(ctx.hostile(base), kb=False)
        alg = alg_for_key(key)
        claims = {"iat": ctx.now, "aud": ctx.audience, "nonce": ctx.nonce, "sd_hash": sd_hash(body)}
        unsigned = jws({"alg": alg, "typ": "kb+jwt"}, claims, key).rsplit(".", 1)[0]
        return f"{body}{unsigned}.{b64(variant(raw_sign(key, unsigned.encode())))}"

    return build


def _other_message(sig: bytes) -> bytes:
    return raw_sign(SH_ES256, b"another message")


SIGNATURE: list[Case] = [
    *(
        Case(f"es256-{name}", "signature", reason, _issuer(SH_ES256, variant))
        for name, (reason, variant) in ES256_VARIANTS.items()
    ),
    Case(
        "es256-over-another-message",
        "signature",
        "bad_signature",
        _issuer(SH_ES256, _other_message),
    ),
    Case(
        "es256-by-the-holder-key-under-the-trusted-kid",
        "signature",
        "bad_signature",
        _issuer(HOLDER_ES256, lambda sig: sig, kid=kid(SH_ES256)),
    ),
    Case("eddsa-genuine", "signature", None, _issuer(SH_EDDSA, lambda sig: sig)),
    *(
        Case(f"eddsa-{name}", "signature", reason, _issuer(SH_EDDSA, variant))
        for name, (reason, variant) in ED25519_VARIANTS.items()
    ),
    # alg and the kid's key type disagree: the trusted key's type decides, never the header.
    Case(
        "eddsa-signature-under-es256-alg",
        "signature",
        "bad_signature",
        _issuer(SH_EDDSA, lambda sig: sig, alg="ES256"),
    ),
    Case(
        "es256-signature-under-eddsa-alg",
        "signature",
        "bad_signature",
        _issuer(SH_ES256, lambda sig: sig, alg="EdDSA"),
    ),
    Case(
        "es256-signature-under-eddsa-kid",
        "signature",
        "bad_signature",
        _issuer(SH_ES256, lambda sig: sig, kid=kid(SH_EDDSA)),
    ),
    # The KB-JWT's signature: the same rules, reported as holder_binding_invalid.
    *(
        Case(
            f"kb-eddsa-{name}",
            "signature",
            reason and "holder_binding_invalid",
            _holder("sh", HOLDER_EDDSA, variant),
        )
        for name, (reason, variant) in ED25519_VARIANTS.items()
    ),
    *(
        Case(
            f"kb-es256-{name}",
            "signature",
            reason and "holder_binding_invalid",
            _holder("es256-holder", HOLDER_ES256, variant),
        )
        for name, (reason, variant) in ES256_VARIANTS.items()
        if name
        in ("r-s-zero", "s-equals-n", "der-encoded", "65-bytes-trailing-zero", "s-negated-accepted")
    ),
]
