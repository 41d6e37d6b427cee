"""Key proofs of the ``jwt`` proof type (OpenID4VCI 1.0 Appendix F.1, F.4).

The holder signs a short JWT with the key the permit will be bound to; the issuer checks it and
binds the credential (``cnf.jwk``) to exactly that key. Only the ``jwk`` header form is
accepted: ``kid`` (DIDs), ``x5c``, ``trust_chain`` and key attestations would each need a
resolver or a trust framework this issuer does not have, and a header naming two keys
(``jwk`` *and* ``kid``) is how an attacker gets one key checked and another one bound.

Checks run structure first, cryptography next, claims last, and the caller's nonce store is
consulted only after everything else passed, so a forged or stale proof can never consume a
valid ``c_nonce`` (the same rule DESIGN §3 sets for presentation nonces).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Final

from wire.errors import VerificationError
from wire.jwk import PrivateKey, load_public_jwk, public_jwk, thumbprint
from wire.jws import ALGORITHMS, parse_compact, sign_compact, verify_signature
from wire.oid4vci._base import (
    MAX_PROOF_CHARS,
    PRIVATE_JWK_MEMBERS,
    PROOF_TYP,
    InvalidNonce,
    InvalidProof,
    is_int,
    is_text,
)

__all__ = ["build_proof_jwt", "verify_proof_jwt", "verify_proofs"]

NonceCheck = Callable[[str], bool]

#: Header parameters that name or carry a key some other way than ``jwk`` (Appendix F.1, RFC
#: 7515 §4.1). Their presence is refused, never ignored.
_OTHER_KEY_HEADERS: Final = (
    "kid",
    "x5c",
    "x5u",
    "jku",
    "x5t",
    "x5t#S256",
    "trust_chain",
    "key_attestation",
)
MAX_NONCE_CHARS: Final = 256


class _ProofMalformed(VerificationError):
    """Internal: lets the strict JWS and JWK parsers signal a defect; becomes InvalidProof."""


def build_proof_jwt(
    *,
    holder_key: PrivateKey,
    audience: str,
    nonce: str,
    iat: int,
    client_id: str | None = None,
) -> str:
    """Sign a key proof with ``holder_key`` (OpenID4VCI 1.0 Appendix F.1).

    Header: ``typ`` = ``openid4vci-proof+jwt``, ``alg`` from the key type (``ES256`` for P-256,
    ``EdDSA`` for Ed25519), ``jwk`` = the holder's public key (no private members). Claims:
    ``aud`` = the Credential Issuer Identifier, ``iat``, ``nonce`` = the ``c_nonce`` from the
    Nonce Endpoint, and ``iss`` = ``client_id`` only when the access token was obtained with
    one (it MUST be omitted after anonymous pre-authorized access).
    """
    if not is_text(audience, 2048) or not is_text(nonce, MAX_NONCE_CHARS) or not is_int(iat):
        raise ValueError("audience, nonce and iat must be set")
    payload: dict[str, Any] = {}
    if client_id is not None:
        payload["iss"] = client_id
    payload.update({"aud": audience, "iat": iat, "nonce": nonce})
    return sign_compact({"typ": PROOF_TYP, "jwk": public_jwk(holder_key)}, payload, holder_key)


def _is_proof_typ(typ: object) -> bool:
    # RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be left out.
    if not isinstance(typ, str):
        return False
    typ = typ.lower()
    return typ in (PROOF_TYP, f"application/{PROOF_TYP}")


def _check_proof(
    token: object,
    *,
    audience: str,
    now: int,
    algorithms: frozenset[str],
    max_age: int,
    leeway: int,
    client_id: str | None,
) -> tuple[dict[str, str], str]:
    """Every Appendix F.4 check except the nonce store; returns (public JWK, nonce)."""
    if not isinstance(token, str) or len(token) > MAX_PROOF_CHARS:
        raise InvalidProof("proof is not a JWT of acceptable size")
    try:
        jws = parse_compact(token, _ProofMalformed, max_depth=8)
    except _ProofMalformed as exc:
        raise InvalidProof("proof is not a well-formed compact JWS") from exc
    header, claims = jws.header, jws.payload
    if not _is_proof_typ(header.get("typ")):
        raise InvalidProof("proof typ must be openid4vci-proof+jwt")
    if "crit" in header:
        raise InvalidProof("proof header has unsupported critical parameters")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise InvalidProof("proof alg is not allowed")
    if any(name in header for name in _OTHER_KEY_HEADERS):
        raise InvalidProof("proof key must be given as jwk only, without kid, x5c or trust_chain")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidProof("proof header has no jwk")
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise InvalidProof("proof jwk carries private key members")
    if jwk.get("alg", alg) != alg or jwk.get("use", "sig") != "sig":
        raise InvalidProof("proof jwk is not meant for this signature algorithm")
    try:
        key = load_public_jwk(jwk, _ProofMalformed)  # refuses invalid and small-order points
    except _ProofMalformed as exc:
        raise InvalidProof("proof jwk is not an acceptable public key") from exc
    if not verify_signature(jws, key, alg):
        raise InvalidProof("proof signature does not verify")
    if claims.get("aud") != audience:
        raise InvalidProof("proof aud is not this credential issuer")
    iat = claims.get("iat")
    if not is_int(iat):
        raise InvalidProof("proof iat must be an integer")
    if iat < now - max_age:
        raise InvalidProof("proof is too old")
    if iat > now + leeway:
        raise InvalidProof("proof iat is in the future")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is not None and (not is_int(exp) or exp + leeway <= now):
        raise InvalidProof("proof has expired")
    if nbf is not None and (not is_int(nbf) or nbf > now + leeway):
        raise InvalidProof("proof is not yet valid")
    if claims.get("iss", client_id) != client_id:
        # Appendix F.1: iss is the client_id, and MUST be omitted after anonymous access.
        raise InvalidProof("proof iss does not match the client")
    nonce = claims.get("nonce")
    if not is_text(nonce, MAX_NONCE_CHARS):
        # §8.3.1.2: a key proof without a c_nonce is invalid_proof, a wrong one invalid_nonce.
        raise InvalidProof("proof has no nonce; request one from the nonce endpoint")
    return public_jwk(key), nonce


def _settings(algorithms: Collection[str], max_age: int, leeway: int) -> frozenset[str]:
    allowed = frozenset(algorithms)
    if not allowed or not allowed <= ALGORITHMS:
        raise ValueError("algorithms must be a non-empty subset of ES256 and EdDSA")
    if not is_int(max_age) or not is_int(leeway) or max_age < 0 or leeway < 0:
        raise ValueError("max_age and leeway must be non-negative integers")
    return allowed


def verify_proof_jwt(
    token: str,
    *,
    audience: str,
    now: int,
    nonce_valid: NonceCheck,
    algorithms: Collection[str],
    max_age: int = 300,
    leeway: int = 60,
    client_id: str | None = None,
) -> dict[str, str]:
    """Validate one key proof (OpenID4VCI 1.0 Appendix F.1, F.4); return the holder's JWK.

    The returned JWK (public members only, re-exported from the validated key) is what goes
    into the credential's ``cnf``. Failures are :class:`~wire.oid4vci.InvalidProof`, except a
    ``nonce`` that ``nonce_valid`` refuses, which is :class:`~wire.oid4vci.InvalidNonce` so the
    wallet knows to fetch a fresh ``c_nonce`` (§8.3.1.2). ``nonce_valid`` is called last and
    only once; the issuer's nonce store decides freshness and single use. ``iat`` must lie in
    ``[now - max_age, now + leeway]``. ``client_id`` is the client the access token was issued
    to, ``None`` after anonymous access (then the proof must not carry ``iss``).
    """
    return verify_proofs(
        [token],
        audience=audience,
        now=now,
        nonce_valid=nonce_valid,
        algorithms=algorithms,
        max_age=max_age,
        leeway=leeway,
        client_id=client_id,
    )[0]


def verify_proofs(
    tokens: Sequence[str],
    *,
    audience: str,
    now: int,
    nonce_valid: NonceCheck,
    algorithms: Collection[str],
    max_age: int = 300,
    leeway: int = 60,
    client_id: str | None = None,
) -> list[dict[str, str]]:
    """Validate the ``proofs.jwt`` array of one Credential Request; JWKs in request order.

    All proofs must pass, and no two may prove the same key (§8.3: each key binds at most one
    credential) — a batch is issued whole or not at all. A wallet signs all proofs of a batch
    with the same ``c_nonce``, so each distinct nonce is handed to ``nonce_valid`` exactly once,
    after every proof passed every other check.
    """
    allowed = _settings(algorithms, max_age, leeway)
    if isinstance(tokens, str):
        raise TypeError("tokens must be a sequence of proof JWTs, not one string")
    if not tokens:
        raise InvalidProof("proofs is empty")
    checked = [
        _check_proof(
            token,
            audience=audience,
            now=now,
            algorithms=allowed,
            max_age=max_age,
            leeway=leeway,
            client_id=client_id,
        )
        for token in tokens
    ]
    if len({thumbprint(jwk) for jwk, _ in checked}) != len(checked):
        raise InvalidProof("two proofs use the same key")
    for nonce in dict.fromkeys(nonce for _, nonce in checked):
        if not nonce_valid(nonce):
            raise InvalidNonce()
    return [jwk for jwk, _ in checked]
