"""Compact JWS (RFC 7515 §7.1): strict parsing, signing and signature verification.

This is hand-written rather than delegated to PyJWT because the verifier needs control that a
general JWT library does not give: canonical base64url only, duplicate-free JSON, an error class
chosen by the caller (the same defect is ``malformed`` in the issuer-signed JWT but
``holder_binding_invalid`` in a KB-JWT), raw fixed-length signatures, and no key ever taken
from a header. Signature math is ``cryptography``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from wire.encoding import b64u_decode, b64u_encode, json_dumps, loads_object
from wire.errors import VerificationError
from wire.jwk import PrivateKey, PublicKey

__all__ = [
    "ALGORITHMS",
    "CompactJWS",
    "parse_compact",
    "sign_compact",
    "verify_raw",
    "verify_signature",
]

#: Every algorithm this project can produce or check. Verifiers pass their own allow-list,
#: which must be a subset; ``none``, HMAC and RSA never appear (CONVENTIONS §8).
ALGORITHMS: frozenset[str] = frozenset({"ES256", "EdDSA"})

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_ORDER_BYTES = _P256_ORDER.to_bytes(32, "big")
_BYTE = [bytes((value,)) for value in range(128)]
_SIG_LEN = 64
#: The concrete key classes ``cryptography`` returns. The public types are ABCs, and an
#: ``isinstance`` against an ABC runs Python code; comparing the exact class first skips it for
#: every real key (other registered implementations still take the ``isinstance`` path).
_EC_KEY = type(
    ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(),
        bytes.fromhex(
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
        ),  # the P-256 base point (FIPS 186-4 D.1.2.3)
    )
)
_ED_KEY = type(ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key())


@dataclass(frozen=True, slots=True)
class CompactJWS:
    """A parsed, not yet verified, compact JWS."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse_compact(token: str, error: type[VerificationError], *, max_depth: int = 32) -> CompactJWS:
    """Split and decode ``header.payload.signature`` strictly; raise ``error`` on any defect."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise error()
    header = loads_object(b64u_decode(parts[0], error), error, max_depth=max_depth)
    payload = loads_object(b64u_decode(parts[1], error), error, max_depth=max_depth)
    signature = b64u_decode(parts[2], error)
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    return CompactJWS(header, payload, signing_input, signature)


def _raw_sign(key: PrivateKey, data: bytes) -> tuple[str, bytes]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("only P-256 keys are supported")
        r, s = decode_dss_signature(key.sign(data, _ECDSA_SHA256))
        return "ES256", r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return "EdDSA", key.sign(data)


def sign_compact(header: Mapping[str, Any], payload: Mapping[str, Any], key: PrivateKey) -> str:
    """Sign ``payload`` as a compact JWS; ``alg`` is set from the key type, first in the header."""
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    full_header = {"alg": alg, **{k: v for k, v in header.items() if k != "alg"}}
    signing_input = f"{b64u_encode(json_dumps(full_header))}.{b64u_encode(json_dumps(payload))}"
    _, signature = _raw_sign(key, signing_input.encode("ascii"))
    return f"{signing_input}.{b64u_encode(signature)}"


def _es256_der(signature: bytes) -> bytes | None:
    """DER ``ECDSA-Sig-Value`` of a 64-byte ``r || s`` ES256 signature, or None unless
    ``0 < r, s < n`` (RFC 7518 §3.4).

    Works on the bytes, without converting to integers: a big-endian 32-byte string compares
    like its number, a shorter one (leading zeros stripped) is below ``n``, and DER wants the
    minimal big-endian encoding with a zero byte in front of a set high bit. The result is what
    ``encode_dss_signature(r, s)`` returns, at a third of the cost on the verifier's hot path.
    """
    r, s = signature[:32].lstrip(b"\0"), signature[32:].lstrip(b"\0")
    if not r or not s or (len(r) == 32 and r >= _P256_ORDER_BYTES):
        return None
    if len(s) == 32 and s >= _P256_ORDER_BYTES:
        return None
    if r[0] & 0x80:
        r = b"\0" + r
    if s[0] & 0x80:
        s = b"\0" + s
    # Both integers fit in 33 bytes, so every length is a single byte (short-form DER).
    return b"".join(
        (b"\x30", _BYTE[len(r) + len(s) + 4], b"\x02", _BYTE[len(r)], r, b"\x02", _BYTE[len(s)], s)
    )


def verify_signature(jws: CompactJWS, key: PublicKey, alg: str) -> bool:
    """Check the signature of ``jws`` with ``key`` for an already allow-listed ``alg``.

    See :func:`verify_raw`, which this wraps.
    """
    return verify_raw(jws.signature, jws.signing_input, key, alg)


def verify_raw(signature: bytes, signing_input: bytes, key: PublicKey, alg: str) -> bool:
    """Check ``signature`` over ``signing_input`` with ``key`` for an allow-listed ``alg``.

    The key type must match the algorithm: an EC key never verifies an ``EdDSA`` token and vice
    versa. ECDSA signatures must be the 64-byte ``r || s`` form with ``0 < r, s < n``; DER and
    other encodings are refused rather than converted. (The verifier calls this with the parts
    it parsed, without building a :class:`CompactJWS`.)
    """
    if len(signature) != _SIG_LEN:
        return False
    key_type = type(key)
    if alg == "ES256" and (key_type is _EC_KEY or isinstance(key, ec.EllipticCurvePublicKey)):
        der = _es256_der(signature)
        if der is None:
            return False
        try:
            cast(ec.EllipticCurvePublicKey, key).verify(der, signing_input, _ECDSA_SHA256)
        except InvalidSignature:
            return False
        return True
    if alg == "EdDSA" and (key_type is _ED_KEY or isinstance(key, ed25519.Ed25519PublicKey)):
        try:
            cast(ed25519.Ed25519PublicKey, key).verify(signature, signing_input)
        except InvalidSignature:
            return False
        return True
    return False
