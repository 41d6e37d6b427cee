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
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from wire.encoding import b64u_decode, b64u_encode, json_dumps, loads_object
from wire.errors import VerificationError
from wire.jwk import PrivateKey, PublicKey

__all__ = ["ALGORITHMS", "CompactJWS", "parse_compact", "sign_compact", "verify_signature"]

#: Every algorithm this project can produce or check. Verifiers pass their own allow-list,
#: which must be a subset; ``none``, HMAC and RSA never appear (CONVENTIONS §8).
ALGORITHMS: frozenset[str] = frozenset({"ES256", "EdDSA"})

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_SIG_LEN = 64


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


def verify_signature(jws: CompactJWS, key: PublicKey, alg: str) -> bool:
    """Check the signature with ``key`` for an already allow-listed ``alg``.

    The key type must match the algorithm: an EC key never verifies an ``EdDSA`` token and vice
    versa. ECDSA signatures must be the 64-byte ``r || s`` form with ``0 < r, s < n``; DER and
    other encodings are refused rather than converted.
    """
    sig = jws.signature
    if len(sig) != _SIG_LEN:
        return False
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
            return False
        try:
            key.verify(encode_dss_signature(r, s), jws.signing_input, _ECDSA_SHA256)
        except InvalidSignature:
            return False
        return True
    if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
        try:
            key.verify(sig, jws.signing_input)
        except InvalidSignature:
            return False
        return True
    return False
