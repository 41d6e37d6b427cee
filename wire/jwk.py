"""JWK import/export, RFC 7638 thumbprints and holder-key validation.

Only the two key types of DESIGN §2 exist here: EC P-256 (``ES256``) and OKP Ed25519
(``EdDSA``). Importing a JWK validates it completely: exact coordinate lengths, a point on the
curve, and for Ed25519 a canonical encoding of a point that is not of small order. A small-order
Ed25519 key verifies signatures that anybody can compute, so a credential bound to one would let
anyone produce its key-binding JWT (DESIGN §3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from wire.encoding import b64u_decode, b64u_encode, json_dumps
from wire.errors import VerificationError

__all__ = [
    "PrivateKey",
    "PublicKey",
    "alg_for_key",
    "ed25519_is_weak",
    "load_public_jwk",
    "public_jwk",
    "thumbprint",
]

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_P256_COORD = 32
#: Field prime of P-256 (SEC 2 §2.4.2): coordinates are canonical only below it.
_P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
#: The field prime as 32 big-endian bytes: for equal-length byte strings, ``>=`` compares as
#: the integers would, so a coordinate is range-checked without converting it.
_P256_P_BYTES = _P256_P.to_bytes(_P256_COORD, "big")
_SECP256R1 = ec.SECP256R1()  # curve objects are immutable; one instance serves every import
_ED25519_LEN = 32
# Field prime and curve constant of edwards25519 (RFC 8032 §5.1).
_P = 2**255 - 19
_D = (-121665 * pow(121666, -1, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def alg_for_key(key: PublicKey | PrivateKey) -> str:
    """JWS ``alg`` that a key of this type signs with."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return "ES256"
    return "EdDSA"


def public_jwk(key: PublicKey | PrivateKey) -> dict[str, str]:
    """Public JWK of a key (members of RFC 7518 §6.2 / RFC 8037 §2, nothing private)."""
    pub = (
        key.public_key()
        if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey)
        else key
    )
    if isinstance(pub, ec.EllipticCurvePublicKey):
        if not isinstance(pub.curve, ec.SECP256R1):
            raise ValueError("only P-256 keys are supported")
        numbers = pub.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64u_encode(numbers.x.to_bytes(_P256_COORD, "big")),
            "y": b64u_encode(numbers.y.to_bytes(_P256_COORD, "big")),
        }
    from cryptography.hazmat.primitives import serialization

    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw)}


_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): the ``kid`` of every key here."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None:
        raise ValueError("unsupported key type")
    canonical = json_dumps({name: jwk[name] for name in members})
    return b64u_encode(hashlib.sha256(canonical).digest())


def _ed25519_decode(raw: bytes) -> tuple[int, int] | None:
    """Decompress an edwards25519 point (RFC 8032 §5.1.3); None if not a canonical point."""
    y = int.from_bytes(raw, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        return None
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x2 = u * pow(v, -1, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if x == 0 and sign == 1:
        return None
    if x & 1 != sign:
        x = _P - x
    return x, y


def _ed25519_double(point: tuple[int, int]) -> tuple[int, int]:
    x, y = point
    xx, yy, xy = x * x % _P, y * y % _P, x * y % _P
    dxy = _D * xx * yy % _P
    return (2 * xy * pow(1 + dxy, -1, _P) % _P, (yy + xx) * pow(1 - dxy, -1, _P) % _P)


def ed25519_is_weak(raw: bytes) -> bool:
    """True if ``raw`` is not a canonical Ed25519 point or the point has small order.

    A point P has small order exactly when [8]P is the neutral element (0, 1); three doublings
    decide it without a table of known bad encodings.
    """
    if len(raw) != _ED25519_LEN:
        return True
    point = _ed25519_decode(raw)
    if point is None:
        return True
    for _ in range(3):
        point = _ed25519_double(point)
    return point == (0, 1)


def load_public_jwk(jwk: Any, error: type[VerificationError]) -> PublicKey:
    """Import a public JWK, validating it completely, or raise ``error``.

    Private members (``d``) are refused: a JWK that carries them was handled carelessly and is
    never accepted as a verification key.
    """
    if not isinstance(jwk, dict) or "d" in jwk:
        raise error()
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        x_b64, y_b64 = jwk.get("x"), jwk.get("y")
        if not isinstance(x_b64, str) or not isinstance(y_b64, str):
            raise error()
        x, y = b64u_decode(x_b64, error), b64u_decode(y_b64, error)
        if len(x) != _P256_COORD or len(y) != _P256_COORD:
            raise error()
        if x >= _P256_P_BYTES or y >= _P256_P_BYTES:
            raise error()  # a non-canonical coordinate would give one key two encodings
        try:
            # The SEC 1 uncompressed point: OpenSSL checks it lies on the curve, and this is
            # cheaper than going through ``EllipticCurvePublicNumbers`` (a verifier imports
            # one holder key per presentation).
            return ec.EllipticCurvePublicKey.from_encoded_point(_SECP256R1, b"\x04" + x + y)
        except ValueError as exc:
            raise error() from exc
    if kty == "OKP" and crv == "Ed25519" and "y" not in jwk:
        x_b64 = jwk.get("x")
        if not isinstance(x_b64, str):
            raise error()
        raw = b64u_decode(x_b64, error)
        if ed25519_is_weak(raw):
            raise error()
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    raise error()
