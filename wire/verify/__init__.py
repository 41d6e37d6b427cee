"""Presentation verification: every check of RFC 9901 §7 and SD-JWT VC, in DESIGN §6 order.

Pure logic. Everything with side effects comes in through small protocols: the trust list
(``IssuerDirectory``), status-list retrieval (``StatusLookup``) and the replay cache
(``NonceCache``). The first failing check decides the reason code; each check raises exactly
one :class:`~wire.errors.VerificationError` subclass.

Order (DESIGN §6): size → parsing → header (``typ``, ``alg``) → issuer and key → signature →
``_sd_alg`` and disclosures → credential type and validity times → holder binding (missing,
invalid, audience, freshness, replay) → profile sufficiency → status.
"""

from __future__ import annotations

from typing import Any

from wire.errors import ConfigurationError, InsufficientDisclosure, Replayed, VerificationError
from wire.presentation import QR_AUDIENCE
from wire.profiles import Profile, filter_claims, has_claims
from wire.verify._checks import (
    check_disclosures,
    check_holder_binding,
    check_issuer_signature,
    check_status,
    check_times,
)
from wire.verify._parse import parse_presentation
from wire.verify._types import (
    IssuerDirectory,
    IssuerTrust,
    NonceCache,
    StatusLookup,
    UriPolicy,
    VerificationResult,
    VerifiedPresentation,
    VerifyPolicy,
)

__all__ = [
    "IssuerDirectory",
    "IssuerTrust",
    "NonceCache",
    "StatusLookup",
    "UriPolicy",
    "VerificationResult",
    "VerifiedPresentation",
    "VerifyPolicy",
    "check_presentation",
    "verify_presentation",
]


_DEFAULT_POLICY = VerifyPolicy()


def verify_presentation(
    text: str,
    *,
    directory: IssuerDirectory,
    profile: Profile,
    now: int,
    status_lookup: StatusLookup | None,
    uri_allowed: UriPolicy,
    audience: str | None = None,
    nonce: str | None = None,
    nonce_cache: NonceCache | None = None,
    policy: VerifyPolicy = _DEFAULT_POLICY,
) -> VerifiedPresentation:
    """Verify a presentation or raise the :class:`VerificationError` of the first failed check.

    ``audience``/``nonce`` are the verifier id and the nonce it issued for verifier-bound
    profiles (required there: a usage error otherwise); in-person QR presentations default to
    ``urn:residence-permit:qr``. The nonce is recorded in ``nonce_cache`` only after every
    other check passed, so a failing presentation cannot burn someone else's nonce (DESIGN §3).
    """
    if profile.verifier_bound and (audience is None or nonce is None):
        raise ConfigurationError("a verifier-bound profile needs the expected audience and nonce")
    parsed = parse_presentation(text, policy)
    issuer = check_issuer_signature(parsed, directory, policy)
    all_claims = check_disclosures(parsed)
    check_times(parsed, now, policy)
    holder, replay_key = check_holder_binding(
        parsed,
        profile=profile,
        audience=audience or QR_AUDIENCE,
        nonce=nonce,
        now=now,
        policy=policy,
        nonce_cache=nonce_cache,
    )
    user_claims = {k: v for k, v in all_claims.items() if k not in _VISIBLE}
    if not has_claims(user_claims, profile.claims):
        raise InsufficientDisclosure()
    status = check_status(
        parsed, issuer, status_lookup=status_lookup, uri_allowed=uri_allowed, now=now
    )
    if (
        nonce_cache is not None
        and replay_key is not None
        and not nonce_cache.add(replay_key, now=now, ttl=policy.kb_window + 2 * policy.leeway)
    ):
        raise Replayed()
    return VerifiedPresentation(
        parsed.iss,  # issuer
        profile.name,  # profile
        filter_claims(user_claims, profile),  # claims
        user_claims,  # all_claims
        status,
        holder,  # holder_jwk
        parsed.exp,  # expires_at
    )


_VISIBLE = frozenset({"iss", "iat", "nbf", "exp", "vct", "cnf", "status", "sub"})


def check_presentation(text: str, *, profile: Profile, **kwargs: Any) -> VerificationResult:
    """:func:`verify_presentation` as a DESIGN §6 result object instead of an exception.

    Usage errors (:class:`~wire.errors.ConfigurationError`) still raise: they are the caller's
    mistake, not the presentation's.
    """
    try:
        verified = verify_presentation(text, profile=profile, **kwargs)
    except VerificationError as error:
        status = {"revoked": "revoked", "suspended": "suspended"}.get(error.code)
        return VerificationResult(False, error.code, None, profile.name, {}, status)
    return VerificationResult(
        True, None, verified.issuer, profile.name, verified.claims, verified.status
    )
