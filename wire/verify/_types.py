"""The types of presentation verification: what the caller plugs in, and what comes out.

The verifier's side effects reach it only through these small protocols (trust list, status
lists, replay cache, status-URI policy), so :mod:`wire.verify` stays pure and every service
(CLI, verifier service, issuer paper desk, wallet receipts) supplies its own implementations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from wire.credential import CREDENTIAL_TYP, VCT
from wire.jwk import PublicKey, thumbprint
from wire.jws import ALGORITHMS

__all__ = [
    "IssuerDirectory",
    "IssuerTrust",
    "NonceCache",
    "StatusLookup",
    "UriPolicy",
    "VerificationResult",
    "VerifiedPresentation",
    "VerifyPolicy",
]


class IssuerTrust(Protocol):
    """One trusted issuer (``wire.trust.TrustedIssuer`` satisfies it)."""

    @property
    def iss(self) -> str: ...

    @property
    def status_list_prefixes(self) -> Sequence[str]: ...

    def key(self, kid: str) -> PublicKey | None: ...


class IssuerDirectory(Protocol):
    """Resolves an ``iss`` to a trusted issuer by exact match (``wire.trust.TrustList``)."""

    def issuer(self, iss: str) -> IssuerTrust | None: ...


class StatusLookup(Protocol):
    """Returns the status value at ``idx`` of the list at ``uri`` signed by ``issuer``.

    Raises :class:`~wire.errors.StatusUnavailable` when the list cannot be obtained and
    :class:`~wire.errors.StatusInvalid` when the token or index is invalid.
    """

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int: ...


class NonceCache(Protocol):
    """Replay cache of (holder key, nonce) pairs (DESIGN §3)."""

    def seen(self, key: str, *, now: int) -> bool: ...

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        """Record ``key``; False if it was already there (atomic check-and-set)."""
        ...


class UriPolicy(Protocol):
    """May a status list be fetched from ``uri`` for an issuer with these prefixes (DESIGN §5)?

    ``wire.trust.status_uri_allowed`` (with ``allow_insecure_loopback`` bound) satisfies it.
    """

    def __call__(self, uri: str, prefixes: Sequence[str]) -> bool: ...


@dataclass(frozen=True, slots=True)
class VerifyPolicy:
    """Verifier settings; defaults are DESIGN §3 and §6."""

    algorithms: frozenset[str] = ALGORITHMS
    leeway: int = 60
    kb_window: int = 120
    max_presentation: int = 16 * 1024
    max_disclosures: int = 64
    max_nonce: int = 256
    credential_typ: str = CREDENTIAL_TYP
    vct: str = VCT

    def __post_init__(self) -> None:
        if not self.algorithms <= ALGORITHMS or not self.algorithms:
            raise ValueError("algorithms must be a non-empty subset of ES256, EdDSA")


@dataclass(frozen=True, slots=True)
class VerifiedPresentation:
    """A presentation that passed every check."""

    issuer: str
    profile: str
    claims: dict[str, Any]
    all_claims: dict[str, Any] = field(repr=False)
    status: str
    holder_jwk: dict[str, Any] | None = field(repr=False)
    expires_at: int

    @property
    def holder_thumbprint(self) -> str | None:
        """RFC 7638 thumbprint of the holder key (computed on demand, off the hot path)."""
        return thumbprint(self.holder_jwk) if self.holder_jwk is not None else None


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The DESIGN §6 answer; ``claims`` is empty unless ``valid``."""

    valid: bool
    reason: str | None
    issuer: str | None
    profile: str
    claims: dict[str, Any]
    status: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "issuer": self.issuer,
            "profile": self.profile,
            "claims": self.claims,
            "status": self.status,
        }
