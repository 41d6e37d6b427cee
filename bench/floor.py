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
import json
from collections.abc import Callable
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from wire.encoding import B64U_TO_STRICT

__all__ = ["floor_verify"]

_PADDING: Final = (b"", b"", b"==", b"=")
_ECDSA: Final = ec.ECDSA(hashes.SHA256())
_P256: Final = ec.SECP256R1()
_new_sha256 = hashlib.sha256().copy


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The same hook as wire.encoding's strict parser: duplicate rejection is not optional.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member name")
    return obj


#: The C scanner itself, without ``wire.encoding.parse_json``'s checks (depth, trailing data,
#: lone surrogates): those are checks, and the floor has none.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder(  # type: ignore[attr-defined]
    object_pairs_hook=_no_duplicates
).scan_once


def floor_verify(text: str, issuer_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """Decode, parse, hash and verify both signatures of an ES256 presentation; no checks.

    Written as one function with every callee bound locally: an inlined variant is the
    tightest CPython allows. Raises ``InvalidSignature`` if either signature is wrong and
    ``ValueError`` (or ``StopIteration``) on a part that does not decode or parse, so the
    benchmark cannot time a shortcut; returns the issuer payload.
    """
    a2b, pad, sha, scan, der = (
        binascii.a2b_base64,
        _PADDING,
        _new_sha256,
        _scan,
        encode_dss_signature,
    )
    data = text.encode("ascii")
    pieces = data.translate(B64U_TO_STRICT).split(b"~")
    header, payload, signature = pieces[0].split(b".")
    scan(a2b(header + pad[len(header) & 3], strict_mode=True).decode(), 0)
    claims: dict[str, Any] = scan(
        a2b(payload + pad[len(payload) & 3], strict_mode=True).decode(), 0
    )[0]
    issuer_signature = a2b(signature + pad[len(signature) & 3], strict_mode=True)
    offset = len(pieces[0]) + 1
    for disclosure in pieces[1:-1]:
        scan(a2b(disclosure + pad[len(disclosure) & 3], strict_mode=True).decode(), 0)
        hasher = sha()
        hasher.update(data[offset : offset + len(disclosure)])
        hasher.digest()
        offset += len(disclosure) + 1
    hasher = sha()
    hasher.update(data[:offset])  # sd_hash input: everything up to the last "~"
    hasher.digest()
    kb_header, kb_payload, kb_signature = pieces[-1].split(b".")
    scan(a2b(kb_header + pad[len(kb_header) & 3], strict_mode=True).decode(), 0)
    scan(a2b(kb_payload + pad[len(kb_payload) & 3], strict_mode=True).decode(), 0)
    jwk = claims["cnf"]["jwk"]
    x = jwk["x"].encode().translate(B64U_TO_STRICT)
    y = jwk["y"].encode().translate(B64U_TO_STRICT)
    holder_key = ec.EllipticCurvePublicKey.from_encoded_point(
        _P256, b"\x04" + a2b(x + b"=", strict_mode=True) + a2b(y + b"=", strict_mode=True)
    )
    issuer_key.verify(
        der(
            int.from_bytes(issuer_signature[:32], "big"),
            int.from_bytes(issuer_signature[32:], "big"),
        ),
        data[: len(header) + len(payload) + 1],
        _ECDSA,
    )
    kb_signature_raw = a2b(kb_signature + pad[len(kb_signature) & 3], strict_mode=True)
    holder_key.verify(
        der(
            int.from_bytes(kb_signature_raw[:32], "big"),
            int.from_bytes(kb_signature_raw[32:], "big"),
        ),
        data[offset : offset + len(kb_header) + len(kb_payload) + 1],
        _ECDSA,
    )
    return claims
