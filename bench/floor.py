"""The verification floor: what any CPython verifier of DESIGN §2 presentations must do in C.

``bench/core.py`` compares the full pipeline with the raw two-signature ceiling. This module
answers the question that comparison raises — how close to the ceiling *can* a CPython
verifier get? :func:`floor_verify` does only the work no verifier can skip, each step one
C-level call and nothing else: decode every base64url segment, parse every JSON document
(with the duplicate-rejecting hook DESIGN §6 requires), hash every disclosure and the
``sd_hash`` input, import the holder's ``cnf`` key, DER-encode the two signatures and verify
them. It performs **no** checks — no ``typ``/``alg``, no trust-list lookup, no digest walk,
no times, no status, no replay — so it is a measuring device, never a verifier; it lives in
``bench/`` for that reason.

Its ratio to the ceiling bounds every pure-Python verifier from above: checks can only add
time. When the floor itself is under a target ratio, the target needs native parsers, not
better Python (docs/benchmarks.md).
"""

from __future__ import annotations

import binascii
import hashlib
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from wire.encoding import B64U_TO_STRICT, parse_json

__all__ = ["floor_verify"]

_PADDING: Final = (b"", b"", b"==", b"=")
_ECDSA: Final = ec.ECDSA(hashes.SHA256())
_P256: Final = ec.SECP256R1()
_new_sha256 = hashlib.sha256().copy


def _b64(segment: bytes) -> bytes:
    return binascii.a2b_base64(segment + _PADDING[len(segment) & 3], strict_mode=True)


def _der(raw: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def floor_verify(text: str, issuer_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """Decode, parse, hash and verify both signatures of an ES256 presentation; no checks.

    Raises ``InvalidSignature`` if either signature is wrong (so the benchmark cannot time a
    shortcut) and returns the issuer payload.
    """
    data = text.encode("ascii")
    pieces = data.translate(B64U_TO_STRICT).split(b"~")
    header, payload, signature = pieces[0].split(b".")
    parse_json(_b64(header))
    claims: dict[str, Any] = parse_json(_b64(payload))
    issuer_signature = _b64(signature)
    offset = len(pieces[0]) + 1
    for disclosure in pieces[1:-1]:
        parse_json(_b64(disclosure))
        hasher = _new_sha256()
        hasher.update(data[offset : offset + len(disclosure)])
        hasher.digest()
        offset += len(disclosure) + 1
    hasher = _new_sha256()
    hasher.update(data[:offset])  # sd_hash input: everything up to the last "~"
    hasher.digest()
    kb_header, kb_payload, kb_signature = pieces[-1].split(b".")
    parse_json(_b64(kb_header))
    parse_json(_b64(kb_payload))
    jwk = claims["cnf"]["jwk"]
    holder_key = ec.EllipticCurvePublicKey.from_encoded_point(
        _P256,
        b"\x04"
        + _b64(jwk["x"].encode().translate(B64U_TO_STRICT))
        + _b64(jwk["y"].encode().translate(B64U_TO_STRICT)),
    )
    issuer_input = data[: len(header) + len(payload) + 1]
    issuer_key.verify(_der(issuer_signature), issuer_input, _ECDSA)
    kb_input = data[offset : offset + len(kb_header) + len(kb_payload) + 1]
    holder_key.verify(_der(_b64(kb_signature)), kb_input, _ECDSA)
    return claims
