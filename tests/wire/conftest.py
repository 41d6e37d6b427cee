"""Fixtures for the wire tests: keys, a permit claim set, in-memory verifier collaborators.

The collaborators are tiny classes implementing the protocols of :mod:`wire.verify`
(``IssuerDirectory``, ``StatusLookup``, ``NonceCache``, ``UriPolicy``), so the verifier is
exercised exactly as a service would call it, without I/O.

:class:`HostileIssuer` signs *arbitrary* headers and payloads with the **trusted** issuer key.
A structural attack (a bool ``iat``, a duplicated digest, a ``crit`` header, ...) built with it
gets past the signature check and reaches the check it targets, so each test proves that check,
not merely that tampering breaks a signature.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from wire.credential import IssuedCredential, end_of_day, issue_credential
from wire.encoding import b64u_decode, b64u_encode, json_dumps
from wire.errors import Malformed
from wire.jwk import PrivateKey, PublicKey, public_jwk, thumbprint
from wire.presentation import QR_AUDIENCE, create_presentation, sd_hash
from wire.profiles import Profile, load_profiles
from wire.sdjwt import join_presentation, split_presentation
from wire.verify import IssuerTrust, VerificationResult, check_presentation

NOW = 1_780_000_000  # 2026-05-28T20:26:40Z
ISSUER = "https://permits.sh.example/issuer"
STATUS_PREFIX = "https://permits.sh.example/status/"
STATUS_URI = STATUS_PREFIX + "1"
STATUS_IDX = 42
BANK = "https://bank.example.cn/verifier"
ENDORSED_UNTIL = date(2027, 3, 1)
EXP = end_of_day(ENDORSED_UNTIL)
PROFILES: dict[str, Profile] = load_profiles()

CLAIMS: dict[str, Any] = {
    "permit_no": "310115202600001",
    "name": "张三丰",
    "sex": "M",
    "birth_date": "1990-05-01",
    "id_number": "11010519491231002X",
    "hukou_address": "四川省成都市武侯区",
    "residence_address": {
        "region_code": "310115",
        "district": "浦东新区",
        "street": "世纪大道100号",
    },
    "permit_class": "standard",
    "issuing_authority": "上海市公安局浦东分局",
    "first_issued": "2024-03-01",
    "endorsed_until": ENDORSED_UNTIL.isoformat(),
    "age_over_18": True,
    "age_over_60": False,
}


class _Drop:
    """Marks a claim or header member to delete in :func:`changed`."""

    def __repr__(self) -> str:  # stable, so parametrize ids match across xdist workers
        return "DROP"


DROP: Any = _Drop()

# Session-wide keys: generating them once keeps hypothesis and the mutation test fast.
ISSUER_ES256 = ec.generate_private_key(ec.SECP256R1())
ISSUER_EDDSA = ed25519.Ed25519PrivateKey.generate()
HOLDER_ES256 = ec.generate_private_key(ec.SECP256R1())
HOLDER_EDDSA = ed25519.Ed25519PrivateKey.generate()
ATTACKER = ec.generate_private_key(ec.SECP256R1())


def kid_of(key: PrivateKey | PublicKey) -> str:
    return thumbprint(public_jwk(key))


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


# --- the hostile issuer -----------------------------------------------------------------------


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
        chosen = present(self.base, "landlord", holder=None)
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


@pytest.fixture
def hostile(credential: IssuedCredential) -> HostileIssuer:
    return HostileIssuer(credential)


@pytest.fixture
def hostile_paper(paper_credential: IssuedCredential) -> HostileIssuer:
    return HostileIssuer(paper_credential, holder=None)
