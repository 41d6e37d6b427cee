"""Holder binding (DESIGN §3, §6): the ``cnf`` key, every KB-JWT failure, and replay.

Categories: ``cnf-key`` (small-order and non-canonical Ed25519, non-canonical or off-curve
P-256, wrong key types — the trusted issuer signed them, the verifier must still refuse),
``kb-jwt`` (missing, unparseable, typ, alg, key, ``sd_hash``, freshness, audience, nonce, also
for the verifier-bound ``bank`` profile) and ``kb-replay`` (the same holder key and nonce
again, in every disguise; on the ``workers`` surface the replay reaches a second service
instance that shares only Redis with the first).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.adversarial.builders import b64, kb, payload, valid
from tests.adversarial.case import ALL_TEXT, TRANSPORT, WORKERS, Builder, Case
from tests.adversarial.cases_signature import P256_ORDER
from tests.adversarial.world import ATTACKER, HOLDER_ES256, PROFILES, SH_ES256, Ctx
from tests.hostile import DROP, HOLDER_EDDSA, changed, jws
from wire.encoding import b64u_decode
from wire.errors import Malformed
from wire.jwk import public_jwk
from wire.presentation import QR_AUDIENCE, create_presentation, sd_hash
from wire.qrcodec import encode_qr_payload
from wire.sdjwt import split_presentation

__all__ = ["CNF_KEY", "KB_JWT", "KB_REPLAY"]

_P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
OTHER_ED25519 = ed25519.Ed25519PrivateKey.generate()
P384 = ec.generate_private_key(ec.SECP384R1())

# --- cnf key ------------------------------------------------------------------------------

SMALL_ORDER_ED25519 = {
    "zero-x-order-4": bytes(32),
    "identity": b"\x01" + bytes(31),
    "order-2": bytes.fromhex("ec" + "ff" * 30 + "7f"),
    "order-8": bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    "order-8-other-sign": bytes.fromhex(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
    ),
    "non-canonical-y-equals-p": bytes.fromhex("ed" + "ff" * 30 + "7f"),
    "non-canonical-y-equals-p-plus-1": bytes.fromhex("ee" + "ff" * 30 + "7f"),
}
_EC = public_jwk(HOLDER_ES256)
_ED = public_jwk(HOLDER_EDDSA)
_P384_NUMBERS = P384.public_key().public_numbers()
_P384 = {
    "kty": "EC",
    "crv": "P-384",
    "x": b64(_P384_NUMBERS.x.to_bytes(48, "big")),
    "y": b64(_P384_NUMBERS.y.to_bytes(48, "big")),
}

BAD_CNF: dict[str, object] = {
    **{
        f"ed25519-{name}": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}}
        for name, raw in SMALL_ORDER_ED25519.items()
    },
    "ed25519-31-bytes": {"jwk": _ED | {"x": b64(bytes(31))}},
    "ed25519-padded-x": {"jwk": _ED | {"x": _ED["x"] + "="}},
    "ed25519-with-y": {"jwk": _ED | {"y": _EC["y"]}},
    "ed25519-private-d": {"jwk": _ED | {"d": b64(bytes(32))}},
    "x25519": {"jwk": _ED | {"crv": "X25519"}},
    "p256-x-equals-p": {"jwk": _EC | {"x": b64(_P256_P.to_bytes(32, "big"))}},
    "p256-y-plus-p-or-max": {"jwk": _EC | {"y": b64((2**256 - 1).to_bytes(32, "big"))}},
    "p256-off-curve": {"jwk": _EC | {"y": b64((5).to_bytes(32, "big"))}},
    "p256-origin": {"jwk": _EC | {"x": b64(bytes(32)), "y": b64(bytes(32))}},
    "p256-coordinates-swapped": {"jwk": _EC | {"x": _EC["y"], "y": _EC["x"]}},
    "p256-31-byte-x": {"jwk": _EC | {"x": b64(bytes(31))}},
    "p256-33-byte-x": {"jwk": _EC | {"x": b64(b"\x00" + bytes.fromhex("ab" * 32))}},
    "p256-x-only": {"jwk": {k: v for k, v in _EC.items() if k != "y"}},
    "p384-labelled-p256": {"jwk": _P384 | {"crv": "P-256"}},
    "secp256k1-label": {"jwk": _EC | {"crv": "secp256k1"}},
    "rsa": {"jwk": {"kty": "RSA", "n": "sXch", "e": "AQAB"}},
    "oct-symmetric": {"jwk": {"kty": "oct", "k": b64(b"secret")}},
    "kid-only": {"kid": "holder-key-1"},
    "jwk-null": {"jwk": None},
    "jwk-string": {"jwk": "key"},
    "empty": {},
}


def _cnf_jku(ctx: Ctx) -> str:
    """``cnf`` pointing at a key URL on the loopback server: refused, and never fetched."""
    return payload(cnf={"jku": ctx.world.server.base + "holder/jwks.json"})(ctx)


def _forged_by_identity_key(ctx: Ctx) -> str:
    """The identity point as holder key and the forgery it allows: R = identity, S = 0
    satisfies ``[S]B = R + [k]A`` for every message."""
    h = ctx.hostile()
    identity = {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64(SMALL_ORDER_ED25519["identity"])}}
    body = ctx.present(h, payload=changed(h.payload, cnf=identity), kb=False)
    claims = {"iat": ctx.now, "aud": ctx.audience, "nonce": ctx.nonce, "sd_hash": sd_hash(body)}
    forged = b"\x01" + bytes(63)
    return body + jws({"alg": "EdDSA", "typ": "kb+jwt"}, claims, HOLDER_EDDSA, signature=forged)


CNF_KEY: list[Case] = [
    *(
        Case(f"cnf-{name}", "cnf-key", "holder_binding_invalid", payload(cnf=value))
        for name, value in BAD_CNF.items()
    ),
    Case("cnf-jku-to-loopback", "cnf-key", "holder_binding_invalid", _cnf_jku),
    Case(
        "cnf-identity-key-forged-kb", "cnf-key", "holder_binding_invalid", _forged_by_identity_key
    ),
    Case("cnf-string", "cnf-key", "malformed", payload(cnf="key")),
    Case("cnf-null", "cnf-key", "malformed", payload(cnf=None)),
    Case("cnf-p256-holder-genuine", "cnf-key", None, valid("es256-holder")),
]

# --- KB-JWT -------------------------------------------------------------------------------


def _kb_text(text: str) -> Builder:
    """A KB-JWT slot holding ``text`` instead of a KB-JWT."""
    return lambda ctx: ctx.present(ctx.hostile(), kb=False) + text


def _hs256_holder(ctx: Ctx) -> str:
    """KB-JWT "signed" with HMAC keyed by the holder's public key (it is in the credential)."""
    h = ctx.hostile()
    body = ctx.present(h, kb=False)
    claims = {"iat": ctx.now, "aud": ctx.audience, "nonce": ctx.nonce, "sd_hash": sd_hash(body)}
    unsigned = jws({"alg": "HS256", "typ": "kb+jwt"}, claims, HOLDER_EDDSA).rsplit(".", 1)[0]
    secret = HOLDER_EDDSA.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    tag = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return f"{body}{unsigned}.{b64(tag)}"


def _sd_hash_over_fewer_disclosures(ctx: Ctx) -> str:
    """A genuine KB-JWT, then one disclosure removed from the presentation it covers."""
    h = ctx.hostile()
    parts = split_presentation(ctx.present(h))
    return "~".join([parts.issuer_jwt, *parts.disclosures[:-1], parts.kb_jwt or ""])


def _kb(reason: str | None, name: str, build: Builder, *, profile: str = "landlord") -> Case:
    return Case(f"kb-{name}", "kb-jwt", reason, build, profile=profile)


_INVALID = "holder_binding_invalid"

KB_JWT: list[Case] = [
    _kb("holder_binding_missing", "missing", kb(kb=False)),
    _kb("holder_binding_missing", "missing-profile-any", kb(kb=False), profile="any"),
    _kb("holder_binding_missing", "missing-bound-profile", kb(kb=False), profile="bank"),
    _kb("holder_binding_missing", "paper-at-a-bound-profile", kb("paper"), profile="bank"),
    _kb(None, "paper-for-landlord-accepted", kb("paper")),
    _kb(_INVALID, "on-a-paper-credential", kb("paper", kb_key=HOLDER_EDDSA)),
    *(
        _kb(_INVALID, f"unparseable-{name}", _kb_text(text))
        for name, text in [
            ("word", "x"),
            ("three-dots", "a.b.c"),
            ("empty-signature", "e30.e30."),
            ("padded-signature", "e30.e30.AA="),
            ("array-payload", "e30.W10.AA"),
            ("four-segments", "e30.e30.AA.AA"),
            ("space", " "),
            ("second-line-feed", "\n\n"),
        ]
    ),
    *(
        _kb(_INVALID, f"typ-{name}", kb(kb_header=head))
        for name, head in [
            ("missing", {"alg": "EdDSA"}),
            ("jwt", {"alg": "EdDSA", "typ": "JWT"}),
            ("upper-case", {"alg": "EdDSA", "typ": "KB+JWT"}),
            ("credential-typ", {"alg": "EdDSA", "typ": "dc+sd-jwt"}),
            ("trailing-space", {"alg": "EdDSA", "typ": "kb+jwt "}),
        ]
    ),
    *(
        _kb(_INVALID, f"alg-{name}", kb(kb_header={"alg": alg, "typ": "kb+jwt"}))
        for name, alg in [("none", "none"), ("es256-for-ed25519", "ES256"), ("lower", "eddsa")]
    ),
    _kb(_INVALID, "alg-missing", kb(kb_header={"typ": "kb+jwt"})),
    _kb(_INVALID, "hs256-keyed-with-holder-public-key", _hs256_holder),
    _kb(_INVALID, "crit", kb(kb_header={"alg": "EdDSA", "typ": "kb+jwt", "crit": ["x"]})),
    _kb(
        _INVALID,
        "attacker-key-in-jwk-header",
        kb(
            kb_key=ATTACKER,
            kb_header={"alg": "ES256", "typ": "kb+jwt", "jwk": public_jwk(ATTACKER)},
        ),
    ),
    _kb(_INVALID, "signed-by-attacker", kb(kb_key=ATTACKER)),
    _kb(_INVALID, "signed-by-another-ed25519-key", kb(kb_key=OTHER_ED25519)),
    _kb(_INVALID, "signed-by-the-issuer-key", kb(kb_key=SH_ES256)),
    _kb(_INVALID, "p256-holder-signed-by-ed25519", kb("es256-holder", kb_key=HOLDER_EDDSA)),
    *(
        _kb(_INVALID, f"sd-hash-{name}", kb(sd_hash=value))
        for name, value in [
            ("missing", DROP),
            ("empty", ""),
            ("null", None),
            ("int", 1),
            ("of-nothing", b64(hashlib.sha256(b"").digest())),
            ("padded", b64(hashlib.sha256(b"x").digest()) + "="),
        ]
    ),
    _kb(_INVALID, "sd-hash-over-more-disclosures", _sd_hash_over_fewer_disclosures),
    _kb("stale_presentation", "iat-121-s-old", lambda ctx: kb(iat=ctx.now - 121)(ctx)),
    _kb(None, "iat-120-s-old-accepted", lambda ctx: kb(iat=ctx.now - 120)(ctx)),
    _kb(None, "iat-60-s-ahead-accepted", lambda ctx: kb(iat=ctx.now + 60)(ctx)),
    _kb("stale_presentation", "iat-61-s-ahead", lambda ctx: kb(iat=ctx.now + 61)(ctx)),
    _kb("stale_presentation", "iat-zero", kb(iat=0)),
    _kb("stale_presentation", "iat-negative", kb(iat=-1)),
    _kb("stale_presentation", "iat-2-pow-64", kb(iat=2**64)),
    *(
        _kb(_INVALID, f"iat-{name}", kb(iat=value))
        for name, value in [
            ("missing", DROP),
            ("bool", True),
            ("float", 1_780_000_000.0),
            ("string", "1780000000"),
            ("null", None),
            ("list", [1_780_000_000]),
        ]
    ),
    _kb("wrong_audience", "aud-another-verifier", kb(aud="https://other.example/verifier")),
    _kb("wrong_audience", "aud-case-variant", kb(aud="urn:residence-permit:QR")),
    _kb("wrong_audience", "aud-trailing-slash", kb(aud=QR_AUDIENCE + "/")),
    *(
        _kb(_INVALID, f"aud-{name}", kb(aud=value))
        for name, value in [("list", [QR_AUDIENCE]), ("missing", DROP), ("null", None), ("int", 1)]
    ),
    *(
        _kb(_INVALID, f"nonce-{name}", kb(nonce=value))
        for name, value in [
            ("empty", ""),
            ("257-chars", "n" * 257),
            ("missing", DROP),
            ("null", None),
            ("int", 7),
            ("list", ["n"]),
        ]
    ),
    _kb(None, "nonce-256-chars-accepted", kb(nonce="n" * 256)),
    # Verifier-bound: the KB-JWT must carry this verifier's id and the nonce it issued.
    _kb(None, "bound-genuine", kb(), profile="bank"),
    _kb(
        _INVALID, "bound-nonce-mismatch", lambda ctx: kb(nonce=ctx.nonce + "x")(ctx), profile="bank"
    ),
    _kb(_INVALID, "bound-wallet-chosen-nonce", kb(nonce="wallet-chosen"), profile="bank"),
    _kb("wrong_audience", "bound-qr-audience", kb(aud=QR_AUDIENCE), profile="bank"),
    _kb(
        "wrong_audience", "bound-other-verifier", kb(aud="https://other.example/v"), profile="bank"
    ),
    # Both wrong: the nonce (holder binding invalid) is checked before the audience.
    _kb(_INVALID, "bound-nonce-and-audience-wrong", kb(aud=QR_AUDIENCE, nonce="x"), profile="bank"),
]

# --- replay -------------------------------------------------------------------------------


def _other_selection(profile: str) -> Builder:
    """The same holder key and nonce, another profile's disclosures, a new KB-JWT."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        selected = create_presentation(h.base.serialized, PROFILES[profile].claims, holder_key=None)
        chosen = split_presentation(selected).disclosures
        return ctx.present(h, disclosures=chosen)

    return build


REPLAY_SURFACES = ALL_TEXT | {WORKERS}


def _replay(
    name: str,
    attack: Builder,
    *,
    prime: Builder | None = None,
    surfaces: frozenset[str] = REPLAY_SURFACES,
    profile: str = "landlord",
) -> Case:
    """``attack`` after the genuine ``prime`` (default: the landlord presentation) was accepted."""
    return Case(
        f"kb-replay-{name}",
        "kb-replay",
        "replayed",
        attack,
        profile=profile,
        surfaces=surfaces,
        prime=prime or valid(),
    )


def _primed(transform: Callable[[str], str] = lambda text: text) -> Builder:
    """The very presentation that was accepted (``Ctx.primed``), transformed."""

    def build(ctx: Ctx) -> str:
        assert ctx.primed is not None
        return transform(ctx.primed)

    return build


def _negate_kb_s(text: str) -> str:
    """The same ES256 KB-JWT with ``s`` replaced by ``n - s``: still a valid signature."""
    signature = text.rsplit(".", 1)[1]
    raw = b64u_decode(signature, Malformed)
    s = (P256_ORDER - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    return text[: -len(signature)] + b64(raw[:32] + s)


KB_REPLAY: list[Case] = [
    _replay("identical", _primed()),
    _replay("other-disclosures", _other_selection("school")),
    _replay("new-kb-jwt-new-iat", lambda ctx: kb(iat=ctx.now + 30)(ctx)),
    _replay("trailing-line-feed", _primed(lambda text: text + "\n")),
    _replay("with-negated-s", _primed(_negate_kb_s), prime=valid("es256-holder")),
    _replay("as-compact-qr", _primed(encode_qr_payload), surfaces=TRANSPORT | {WORKERS}),
    _replay("bound-request-answered-twice", _primed(), profile="bank"),
]
