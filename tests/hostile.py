"""The hostile issuer: signs *arbitrary* JOSE header and payload bytes with a **trusted** key.

A structural attack (a bool ``iat``, a duplicated digest, a ``crit`` header, ...) built with it
gets past the signature check and reaches the check it targets, so each test proves that check,
not merely that tampering breaks a signature. Shared by the wire tests (``tests/wire``), the
verifier service tests and the adversarial suite (``tests/adversarial``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from wire.credential import IssuedCredential
from wire.encoding import b64u_decode, b64u_encode, json_dumps
from wire.errors import Malformed
from wire.jwk import PrivateKey
from wire.presentation import QR_AUDIENCE, create_presentation, sd_hash
from wire.profiles import load_profiles
from wire.sdjwt import join_presentation, split_presentation

__all__ = [
    "DROP",
    "HOLDER_EDDSA",
    "ISSUER_ES256",
    "NOW",
    "HostileIssuer",
    "changed",
    "decode_jwt",
    "jws",
    "kb_jwt",
    "raw_sign",
    "sign_segments",
]

NOW = 1_780_000_000  # 2026-05-28T20:26:40Z
_LANDLORD = load_profiles()["landlord"].claims


class _Drop:
    """Marks a claim or header member to delete in :func:`changed`."""

    def __repr__(self) -> str:  # stable, so parametrize ids match across xdist workers
        return "DROP"


DROP: Any = _Drop()

# Session-wide keys: generating them once keeps hypothesis and the mutation test fast.
ISSUER_ES256 = ec.generate_private_key(ec.SECP256R1())
HOLDER_EDDSA = ed25519.Ed25519PrivateKey.generate()


def changed(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """``base`` with members replaced; a value of :data:`DROP` removes the member."""
    result = dict(base)
    for name, value in changes.items():
        if value is DROP:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS (no verification)."""
    header, payload, _ = token.split(".")
    return (
        json.loads(b64u_decode(header, Malformed)),
        json.loads(b64u_decode(payload, Malformed)),
    )


def raw_sign(key: PrivateKey, signing_input: bytes) -> bytes:
    """JWS signature bytes: ``r || s`` for ES256, the 64-byte signature for EdDSA."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return key.sign(signing_input)


def jws(
    header: Mapping[str, Any] | bytes,
    payload: Mapping[str, Any] | bytes,
    key: PrivateKey,
    *,
    signature: bytes | None = None,
) -> str:
    """A compact JWS of exactly these header/payload bytes (dicts are compact JSON)."""
    raw_header = header if isinstance(header, bytes) else json_dumps(header)
    raw_payload = payload if isinstance(payload, bytes) else json_dumps(payload)
    signing_input = f"{b64u_encode(raw_header)}.{b64u_encode(raw_payload)}"
    sig = raw_sign(key, signing_input.encode("ascii")) if signature is None else signature
    return f"{signing_input}.{b64u_encode(sig)}"


def sign_segments(header_b64: str, payload_b64: str, key: PrivateKey) -> str:
    """A JWS over exactly these (possibly non-canonical) base64url segments."""
    signing_input = f"{header_b64}.{payload_b64}"
    return f"{signing_input}.{b64u_encode(raw_sign(key, signing_input.encode('ascii')))}"


def kb_jwt(
    body: str,
    key: PrivateKey = HOLDER_EDDSA,
    *,
    header: Mapping[str, Any] | bytes | None = None,
    payload: bytes | None = None,
    **claims: Any,
) -> str:
    """A KB-JWT over ``body`` (which ends in ``~``); ``claims`` override iat/aud/nonce/sd_hash."""
    alg = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    base = {"iat": NOW, "aud": QR_AUDIENCE, "nonce": "nonce-0001", "sd_hash": sd_hash(body)}
    return jws(
        {"alg": alg, "typ": "kb+jwt"} if header is None else header,
        changed(base, **claims) if payload is None else payload,
        key,
    )


@dataclass
class HostileIssuer:
    """Builds presentations from a tampered header/payload re-signed with the trusted key.

    ``payload``/``header`` start as the real credential's; ``disclosures`` are the landlord
    disclosures of that credential (their digests are in the untouched ``_sd``).
    """

    base: IssuedCredential
    key: PrivateKey = ISSUER_ES256
    holder: PrivateKey | None = HOLDER_EDDSA
    header: dict[str, Any] = field(init=False)
    payload: dict[str, Any] = field(init=False)
    disclosures: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.header, self.payload = decode_jwt(self.base.issuer_jwt)
        chosen = create_presentation(self.base.serialized, _LANDLORD, holder_key=None)
        self.disclosures = split_presentation(chosen).disclosures

    def issuer_jwt(
        self,
        payload: Mapping[str, Any] | bytes | None = None,
        header: Mapping[str, Any] | bytes | None = None,
        *,
        signature: bytes | None = None,
    ) -> str:
        return jws(
            self.header if header is None else header,
            self.payload if payload is None else payload,
            self.key,
            signature=signature,
        )

    def present(
        self,
        *,
        payload: Mapping[str, Any] | bytes | None = None,
        header: Mapping[str, Any] | bytes | None = None,
        disclosures: Sequence[str] | None = None,
        jwt: str | None = None,
        kb: bool = True,
        kb_key: PrivateKey | None = None,
        kb_header: Mapping[str, Any] | bytes | None = None,
        kb_payload: bytes | None = None,
        **kb_claims: Any,
    ) -> str:
        """The tampered presentation (issuer JWT ``jwt`` if given); a KB-JWT (by ``kb_key`` or
        the holder) unless ``kb`` is False. ``kb_claims`` override the KB-JWT claims (``DROP``
        removes one)."""
        body = join_presentation(
            self.issuer_jwt(payload, header) if jwt is None else jwt,
            self.disclosures if disclosures is None else disclosures,
            None,
        )
        signer = kb_key or self.holder
        if not kb or signer is None:
            return body
        return body + kb_jwt(body, signer, header=kb_header, payload=kb_payload, **kb_claims)
