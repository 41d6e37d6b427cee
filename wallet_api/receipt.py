"""Checking a credential the issuer sent before the wallet keeps it, and reading stored ones.

A wallet must not store what it could not later present. So each received credential is run
through the very pipeline verifiers use (:func:`wire.verify.verify_presentation`): the wallet
presents every claim to itself with the holder key it generated, against the issuer's keys
from its JWT VC Issuer Metadata. That checks the issuer signature and ``kid``, ``typ``/``vct``,
the disclosures (all 13 claims present), validity times, and that ``cnf`` is the wallet's key
(the KB-JWT verifies under it); a paper credential must have no ``cnf`` (DESIGN §3). Status is
not part of receipt: a just-issued copy is valid, and the status list is checked for display.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wire.credential import CLAIM_NAMES
from wire.errors import ConfigurationError, Malformed, PermitError
from wire.jwk import PrivateKey, PublicKey, public_jwk, thumbprint
from wire.jws import parse_compact
from wire.oid4vci import InvalidIssuerResponse
from wire.presentation import create_presentation
from wire.profiles import Profile
from wire.sdjwt import process_payload, split_presentation
from wire.trust import load_jwks
from wire.verify import verify_presentation

__all__ = [
    "ReceivedCredential",
    "StoredView",
    "check_received",
    "holder_thumbprint",
    "read_credential",
]

_SELF_AUDIENCE: Final = "urn:residence-permit:wallet:receipt"
_BOUND = Profile("wallet-receipt", (), paper=False, verifier_bound=False)
_PAPER = Profile("wallet-receipt-paper", (), paper=True, verifier_bound=False)


@dataclass(frozen=True, slots=True)
class ReceivedCredential:
    """A credential that passed the receipt checks, with what the wallet indexes it by."""

    serialized: str
    claims: dict[str, Any]
    permit_no: str
    exp: int


@dataclass(frozen=True, slots=True)
class StoredView:
    """Claims and visible fields of a stored credential (already checked at receipt)."""

    claims: dict[str, Any]
    exp: int
    status_uri: str | None
    status_idx: int | None
    bound: bool


@dataclass(frozen=True, slots=True)
class _Issuer:
    iss: str
    keys: Mapping[str, PublicKey]
    status_list_prefixes: Sequence[str] = ()

    def key(self, kid: str) -> PublicKey | None:
        return self.keys.get(kid)


@dataclass(frozen=True, slots=True)
class _Directory:
    only: _Issuer

    def issuer(self, iss: str) -> _Issuer | None:
        return self.only if iss == self.only.iss else None


def _no_status(issuer: Any, *, uri: str, idx: int, now: int) -> int:
    del issuer, uri, idx, now  # receipt does not check status (see the module docstring)
    return 0


def _any_uri(uri: str, prefixes: Sequence[str]) -> bool:
    del uri, prefixes  # the wallet fetches nothing on the credential's say-so here
    return True


def holder_thumbprint(serialized: str) -> str | None:
    """RFC 7638 thumbprint of the credential's ``cnf`` key, or None (paper or unreadable)."""
    try:
        payload = parse_compact(split_presentation(serialized).issuer_jwt, Malformed).payload
        jwk = payload.get("cnf", {}).get("jwk") if isinstance(payload.get("cnf"), dict) else None
        return thumbprint(jwk) if isinstance(jwk, dict) else None
    except (PermitError, KeyError, TypeError):
        return None


def check_received(
    serialized: str,
    *,
    issuer: str,
    jwks: Mapping[str, Any],
    holder_key: PrivateKey | None,
    now: int,
) -> ReceivedCredential:
    """Verify a received credential as a verifier would; :class:`InvalidIssuerResponse` if not.

    ``holder_key`` is the key the wallet bound it to, or None for a paper credential.
    """
    try:
        keys = load_jwks(dict(jwks))
    except ConfigurationError:
        raise InvalidIssuerResponse("the issuer's published keys are invalid") from None
    directory = _Directory(_Issuer(issuer, keys))
    nonce = secrets.token_urlsafe(16)
    try:
        text = create_presentation(
            serialized,
            CLAIM_NAMES,
            holder_key=holder_key,
            audience=_SELF_AUDIENCE,
            nonce=nonce,
            iat=now,
        )
        verified = verify_presentation(
            text,
            directory=directory,
            profile=_PAPER if holder_key is None else _BOUND,
            now=now,
            status_lookup=_no_status,
            uri_allowed=_any_uri,
            audience=_SELF_AUDIENCE,
            nonce=None if holder_key is None else nonce,
        )
    except (PermitError, KeyError, ValueError):
        raise InvalidIssuerResponse("a credential from the issuer does not verify") from None
    if holder_key is not None and verified.holder_thumbprint != thumbprint(public_jwk(holder_key)):
        raise InvalidIssuerResponse("a credential is bound to another key")
    permit_no = verified.all_claims.get("permit_no")
    if not isinstance(permit_no, str) or not permit_no:
        raise InvalidIssuerResponse("a credential has no permit number")
    return ReceivedCredential(serialized, verified.all_claims, permit_no, verified.expires_at)


def read_credential(serialized: str) -> StoredView:
    """Claims of a credential the wallet stored (it was verified at receipt)."""
    parts = split_presentation(serialized)
    payload = parse_compact(parts.issuer_jwt, Malformed).payload
    claims, _ = process_payload(payload, parts.disclosures)
    user = {k: v for k, v in claims.items() if k in CLAIM_NAMES}
    reference = payload.get("status", {}).get("status_list", {})
    uri, idx = reference.get("uri"), reference.get("idx")
    return StoredView(
        claims=user,
        exp=int(payload["exp"]),
        status_uri=uri if isinstance(uri, str) else None,
        status_idx=idx if type(idx) is int else None,
        bound="cnf" in payload,
    )
