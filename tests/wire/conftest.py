"""Fixtures for the wire tests: keys, a permit claim set, in-memory verifier collaborators.

The collaborators are tiny classes implementing the protocols of :mod:`wire.verify`
(``IssuerDirectory``, ``StatusLookup``, ``NonceCache``, ``UriPolicy``), so the verifier is
exercised exactly as a service would call it, without I/O.

:class:`HostileIssuer` (``tests/hostile.py``) signs *arbitrary* headers and payloads with the
**trusted** issuer key. A structural attack (a bool ``iat``, a duplicated digest, a ``crit``
header, ...) built with it gets past the signature check and reaches the check it targets, so
each test proves that check, not merely that tampering breaks a signature.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests import hostile as _hostile
from tests.permit_claims import permit_claims
from wire.credential import IssuedCredential, end_of_day, issue_credential
from wire.jwk import PrivateKey, PublicKey, public_jwk, thumbprint
from wire.presentation import QR_AUDIENCE, create_presentation
from wire.profiles import Profile, load_profiles
from wire.verify import IssuerTrust, VerificationResult, check_presentation

# Re-exported for the wire tests: the hostile issuer and its helpers live in tests/hostile.py.
NOW = _hostile.NOW
DROP: Any = _hostile.DROP
ISSUER_ES256 = _hostile.ISSUER_ES256
HOLDER_EDDSA = _hostile.HOLDER_EDDSA
HostileIssuer = _hostile.HostileIssuer
changed = _hostile.changed
decode_jwt = _hostile.decode_jwt
jws = _hostile.jws
kb_jwt = _hostile.kb_jwt
raw_sign = _hostile.raw_sign
sign_segments = _hostile.sign_segments

ISSUER = "https://permits.sh.example/issuer"
STATUS_PREFIX = "https://permits.sh.example/status/"
STATUS_URI = STATUS_PREFIX + "1"
STATUS_IDX = 42
BANK = "https://bank.example.cn/verifier"
ENDORSED_UNTIL = date(2027, 3, 1)
EXP = end_of_day(ENDORSED_UNTIL)
PROFILES: dict[str, Profile] = load_profiles()

CLAIMS: dict[str, Any] = permit_claims(ENDORSED_UNTIL)


# Session-wide keys (ISSUER_ES256 and HOLDER_EDDSA come from tests/hostile.py): generating them
# once keeps hypothesis and the mutation test fast.
ISSUER_EDDSA = ed25519.Ed25519PrivateKey.generate()
HOLDER_ES256 = ec.generate_private_key(ec.SECP256R1())
ATTACKER = ec.generate_private_key(ec.SECP256R1())


def kid_of(key: PrivateKey | PublicKey) -> str:
    return thumbprint(public_jwk(key))


def issue(
    *,
    signing_key: PrivateKey = ISSUER_ES256,
    holder: PrivateKey | None = HOLDER_EDDSA,
    claims: Mapping[str, Any] = CLAIMS,
    seed: int = 7,
    **overrides: Any,
) -> IssuedCredential:
    """A permit credential with reproducible salts and decoys (``seed``)."""
    rng = random.Random(seed)
    arguments: dict[str, Any] = {
        "claims": claims,
        "issuer": ISSUER,
        "signing_key": signing_key,
        "holder_jwk": None if holder is None else public_jwk(holder),
        "status_uri": STATUS_URI,
        "status_idx": STATUS_IDX,
        "iat": NOW - 86_400,
        "exp": EXP,
        "salt_source": lambda: rng.randbytes(16),
        "decoy_rng": random.Random(seed),
    }
    arguments.update(overrides)
    return issue_credential(**arguments)


def present(
    credential: IssuedCredential | str,
    profile: str = "landlord",
    *,
    holder: PrivateKey | None = HOLDER_EDDSA,
    audience: str = QR_AUDIENCE,
    nonce: str = "nonce-0001",
    iat: int = NOW,
) -> str:
    """The wallet's presentation of ``credential`` for ``profile`` (DESIGN §3)."""
    text = credential if isinstance(credential, str) else credential.serialized
    return create_presentation(
        text, PROFILES[profile].claims, holder_key=holder, audience=audience, nonce=nonce, iat=iat
    )


# --- in-memory implementations of the wire.verify protocols -----------------------------------


@dataclass
class StubIssuer:
    """``IssuerTrust``: one issuer, keys by ``kid``."""

    iss: str
    keys: Mapping[str, PublicKey]
    status_list_prefixes: tuple[str, ...] = (STATUS_PREFIX,)

    def key(self, kid: str) -> PublicKey | None:
        return self.keys.get(kid)


class StubDirectory:
    """``IssuerDirectory``: exact-match lookup."""

    def __init__(self, *issuers: StubIssuer) -> None:
        self.by_iss = {issuer.iss: issuer for issuer in issuers}

    def issuer(self, iss: str) -> IssuerTrust | None:
        return self.by_iss.get(iss)


@dataclass
class StubStatus:
    """``StatusLookup``: answers ``value`` (or raises ``error``) and records every call."""

    value: int = 0
    error: Exception | None = None
    calls: list[tuple[str, str, int, int]] = field(default_factory=list)

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        self.calls.append((issuer.iss, uri, idx, now))
        if self.error is not None:
            raise self.error
        return self.value


class MemoryNonceCache:
    """``NonceCache`` with expiry, as the Redis-backed cache behaves."""

    def __init__(self) -> None:
        self.entries: dict[str, int] = {}

    def seen(self, key: str, *, now: int) -> bool:
        expires = self.entries.get(key)
        return expires is not None and expires > now

    def add(self, key: str, *, now: int, ttl: int) -> bool:
        if self.seen(key, now=now):
            return False
        self.entries[key] = now + ttl
        return True


def prefix_policy(uri: str, prefixes: Sequence[str]) -> bool:
    """``UriPolicy`` stand-in: a plain prefix match (wire.trust has the real URL policy)."""
    return any(uri.startswith(prefix) for prefix in prefixes)


@dataclass
class Verifier:
    """One verifier deployment: trust, status and replay cache, with :func:`check` defaults."""

    directory: StubDirectory
    status: StubStatus
    cache: MemoryNonceCache
    uri_allowed: Callable[[str, Sequence[str]], bool] = prefix_policy
    now: int = NOW

    def kwargs(self, **overrides: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "directory": self.directory,
            "now": self.now,
            "status_lookup": self.status,
            "uri_allowed": self.uri_allowed,
            "nonce_cache": self.cache,
        }
        base.update(overrides)
        return base

    def check(self, text: str, profile: str = "landlord", **overrides: Any) -> VerificationResult:
        return check_presentation(text, profile=PROFILES[profile], **self.kwargs(**overrides))

    def reason(self, text: str, profile: str = "landlord", **overrides: Any) -> str | None:
        return self.check(text, profile, **overrides).reason


def trusted_directory() -> StubDirectory:
    return StubDirectory(
        StubIssuer(ISSUER, {kid_of(k): k.public_key() for k in (ISSUER_ES256, ISSUER_EDDSA)})
    )


@pytest.fixture
def now() -> int:
    return NOW


@pytest.fixture
def claims() -> dict[str, Any]:
    return copy.deepcopy(CLAIMS)


@pytest.fixture
def directory() -> StubDirectory:
    return trusted_directory()


@pytest.fixture
def status_stub() -> StubStatus:
    return StubStatus()


@pytest.fixture
def nonce_cache() -> MemoryNonceCache:
    return MemoryNonceCache()


@pytest.fixture
def verifier(
    directory: StubDirectory, status_stub: StubStatus, nonce_cache: MemoryNonceCache
) -> Verifier:
    return Verifier(directory, status_stub, nonce_cache)


@pytest.fixture(scope="session")
def credential() -> IssuedCredential:
    """ES256 issuer, Ed25519 holder key."""
    return issue()


@pytest.fixture(scope="session")
def paper_credential() -> IssuedCredential:
    return issue(holder=None)


@pytest.fixture
def hostile(credential: IssuedCredential) -> HostileIssuer:
    return HostileIssuer(credential)


@pytest.fixture
def hostile_paper(paper_credential: IssuedCredential) -> HostileIssuer:
    return HostileIssuer(paper_credential, holder=None)
