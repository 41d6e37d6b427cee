"""The checks of DESIGN §6 after parsing, one function per step, each raising one reason code.

:func:`wire.verify.verify_presentation` calls them in DESIGN order; the first that raises
decides the answer. Each reads only the :class:`~wire.verify._parse.Parsed` presentation and
what the caller plugged in (:mod:`wire.verify._types`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from wire.encoding import digest_b64u
from wire.errors import (
    BadSignature,
    ConfigurationError,
    DisclosureMismatch,
    Expired,
    HolderBindingInvalid,
    HolderBindingMissing,
    Malformed,
    NotYetValid,
    Replayed,
    Revoked,
    StalePresentation,
    StatusInvalid,
    Suspended,
    UnknownIssuer,
    UnknownKey,
    UnsupportedAlg,
    WrongAudience,
    WrongType,
)
from wire.jwk import load_public_jwk
from wire.jws import verify_raw
from wire.presentation import KB_TYP
from wire.profiles import Profile
from wire.sdjwt import check_sd_alg, unpack_claims
from wire.verify._parse import Parsed
from wire.verify._types import (
    IssuerDirectory,
    IssuerTrust,
    NonceCache,
    StatusLookup,
    UriPolicy,
    VerifyPolicy,
)

__all__ = [
    "STATUS_NAMES",
    "check_disclosures",
    "check_holder_binding",
    "check_issuer_signature",
    "check_status",
    "check_times",
    "replay_key",
]

STATUS_NAMES = {0: "valid", 1: "revoked", 2: "suspended"}
#: A copy of an empty SHA-256 context is cheaper than a new one (see ``wire.encoding``).
_new_sha256 = hashlib.sha256().copy


def check_issuer_signature(
    parsed: Parsed, directory: IssuerDirectory, policy: VerifyPolicy
) -> IssuerTrust:
    header = parsed.jws.header
    if header.get("typ") != policy.credential_typ:
        raise WrongType()
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in policy.algorithms:
        raise UnsupportedAlg()
    if "crit" in header:
        raise Malformed()  # no JWS extensions are understood here (RFC 7515 §4.1.11)
    issuer = directory.issuer(parsed.iss)
    if issuer is None:
        raise UnknownIssuer()
    kid = header.get("kid")
    key = issuer.key(kid) if isinstance(kid, str) else None
    if key is None:
        raise UnknownKey()
    if not verify_raw(parsed.jws.signature, parsed.jws.signing_input, key, alg):
        raise BadSignature()
    return issuer


def check_disclosures(parsed: Parsed) -> dict[str, Any]:
    """``_sd_alg``, then every disclosure used exactly once; returns the processed claims."""
    check_sd_alg(parsed.jws.payload)
    if len(parsed.disclosed) != parsed.disclosure_count:
        raise DisclosureMismatch()  # the same disclosure twice
    return unpack_claims(parsed.jws.payload, parsed.disclosed)


def check_times(parsed: Parsed, now: int, policy: VerifyPolicy) -> None:
    if parsed.jws.payload.get("vct") != policy.vct:
        raise WrongType()
    if parsed.exp <= now - policy.leeway:
        raise Expired()
    if parsed.iat > now + policy.leeway or (
        parsed.nbf is not None and parsed.nbf > now + policy.leeway
    ):
        raise NotYetValid()


def replay_key(jwk: Mapping[str, Any], nonce: str) -> str:
    """Digest of (holder key, nonce): the key's defining members identify it as uniquely as
    its thumbprint does, without serialising JSON on every verification."""
    hasher = _new_sha256()
    hasher.update(f"{jwk['kty']}\x00{jwk['x']}\x00{jwk.get('y', '')}\x00{nonce}".encode())
    return hasher.hexdigest()


def check_holder_binding(
    parsed: Parsed,
    *,
    profile: Profile,
    audience: str,
    nonce: str | None,
    now: int,
    policy: VerifyPolicy,
    nonce_cache: NonceCache | None,
) -> tuple[dict[str, Any] | None, str | None]:
    """Returns (holder JWK, replay key) for a key-bound presentation."""
    cnf = parsed.jws.payload.get("cnf")
    kb = parsed.kb
    if cnf is None:
        if kb is not None:
            raise HolderBindingInvalid()  # nothing to verify a KB-JWT against
        if not profile.paper:
            raise HolderBindingMissing()
        return None, None
    if kb is None:
        raise HolderBindingMissing()
    jwk = cnf.get("jwk")
    holder_key = load_public_jwk(jwk, HolderBindingInvalid)
    header, claims, signing_input, signature = kb
    alg = header.get("alg")
    if header.get("typ") != KB_TYP or "crit" in header:
        raise HolderBindingInvalid()
    if not isinstance(alg, str) or alg not in policy.algorithms:
        raise HolderBindingInvalid()
    if not verify_raw(signature, signing_input, holder_key, alg):
        raise HolderBindingInvalid()
    iat, kb_nonce, aud = claims.get("iat"), claims.get("nonce"), claims.get("aud")
    if type(iat) is not int:  # bool is an int subclass and is not a time
        raise HolderBindingInvalid()
    if not isinstance(kb_nonce, str) or not kb_nonce or len(kb_nonce) > policy.max_nonce:
        raise HolderBindingInvalid()
    if not isinstance(aud, str):
        raise HolderBindingInvalid()
    if claims.get("sd_hash") != digest_b64u(parsed.sd_hash_input):
        raise HolderBindingInvalid()
    # DESIGN §6 orders "invalid" before "audience": a nonce the verifier did not issue is invalid.
    if nonce is not None and kb_nonce != nonce:
        raise HolderBindingInvalid()
    if aud != audience:
        raise WrongAudience()
    if iat < now - policy.kb_window or iat > now + policy.leeway:
        raise StalePresentation()
    key = replay_key(jwk, kb_nonce)
    if nonce_cache is not None and nonce_cache.seen(key, now=now):
        raise Replayed()
    return jwk, key


def check_status(
    parsed: Parsed,
    issuer: IssuerTrust,
    *,
    status_lookup: StatusLookup | None,
    uri_allowed: UriPolicy,
    now: int,
) -> str:
    reference = parsed.jws.payload.get("status")
    status_list = reference.get("status_list") if isinstance(reference, dict) else None
    if not isinstance(status_list, dict):
        raise StatusInvalid()
    idx, uri = status_list.get("idx"), status_list.get("uri")
    if type(idx) is not int or idx < 0 or not isinstance(uri, str):
        raise StatusInvalid()
    if not uri_allowed(uri, issuer.status_list_prefixes):
        raise StatusInvalid()
    if status_lookup is None:
        raise ConfigurationError("no status lookup configured")
    value = status_lookup(issuer, uri=uri, idx=idx, now=now)
    if value == 1:
        raise Revoked()
    if value == 2:
        raise Suspended()
    if value != 0:
        raise StatusInvalid()
    return STATUS_NAMES[0]
