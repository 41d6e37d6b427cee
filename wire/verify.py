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

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from wire.credential import CREDENTIAL_TYP, VCT
from wire.disclosures import disclosed_claim
from wire.encoding import B64U_TO_STRICT, b64u_decode_translated, digest_b64u, parse_json
from wire.errors import (
    BadSignature,
    ConfigurationError,
    DisclosureMismatch,
    Expired,
    HolderBindingInvalid,
    HolderBindingMissing,
    InsufficientDisclosure,
    InvalidDisclosure,
    Malformed,
    NotYetValid,
    PayloadTooLarge,
    Replayed,
    Revoked,
    StalePresentation,
    StatusInvalid,
    Suspended,
    UnknownIssuer,
    UnknownKey,
    UnsupportedAlg,
    VerificationError,
    WrongAudience,
    WrongType,
)
from wire.jwk import PublicKey, load_public_jwk, thumbprint
from wire.jws import ALGORITHMS, verify_raw
from wire.presentation import KB_TYP, QR_AUDIENCE
from wire.profiles import Profile, filter_claims, has_claims
from wire.sdjwt import check_sd_alg, unpack_claims

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

STATUS_NAMES = {0: "valid", 1: "revoked", 2: "suspended"}
#: A copy of an empty SHA-256 context is cheaper than a new one (see ``wire.encoding``).
_new_sha256 = hashlib.sha256().copy


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


class _Jws(NamedTuple):
    """The parts of a compact JWS the checks need (a tuple: built twice per verification)."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


class _Parsed(NamedTuple):
    """Everything the parsing step produced; later steps only read it."""

    jws: _Jws
    #: digest → (name, value) of each disclosure, and how many disclosures there were (a
    #: shorter mapping means the same disclosure was presented twice).
    disclosed: dict[str, tuple[str | None, Any]]
    disclosure_count: int
    kb: _Jws | None
    #: The presentation up to and including the last ``~``: the input of ``sd_hash``.
    sd_hash_input: bytes
    iss: str
    iat: int
    exp: int
    nbf: int | None


def _parse_jws(token: bytes, original: bytes) -> _Jws:
    """Decode a compact JWS; ``token`` is ``original`` passed through ``B64U_TO_STRICT``.

    Any defect raises ``ValueError``; the caller turns it into its part's reason code. The dots
    are found with ``bytes.find`` (a memchr) rather than ``split``, which walks every byte.
    """
    first = token.find(b".")
    second = token.find(b".", first + 1)
    if first <= 0 or second <= first + 1 or second == len(token) - 1:
        raise ValueError("not a compact JWS")  # fewer than 3 segments, or an empty one
    if token.find(b".", second + 1) >= 0:
        raise ValueError("not a compact JWS")  # more than 3 segments
    header = parse_json(b64u_decode_translated(token[:first]))
    payload = parse_json(b64u_decode_translated(token[first + 1 : second]))
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("JOSE header and payload must be objects")
    signature = b64u_decode_translated(token[second + 1 :])
    return _Jws(header, payload, original[:second], signature)


def _parse(text: str, policy: VerifyPolicy) -> _Parsed:
    """Size, then strict parsing of every part (DESIGN §6; decisions.md "parsing comes first").

    An ASCII presentation is encoded once, translated to the strict base64 alphabet once and
    split once; ``~`` and ``.`` are untouched by the translation, so the original bytes of a
    part (hashed for digests, ``sd_hash`` and signatures) are found at the same offsets.
    """
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    if not text.isascii():
        # surrogatepass: a str with lone surrogates must reach the size checks, not crash.
        if (
            len(text.encode("utf-8", "surrogatepass")) > policy.max_presentation
            or text.count("~") > policy.max_disclosures + 1
        ):
            raise PayloadTooLarge()
        raise Malformed()
    if len(text) > policy.max_presentation:
        raise PayloadTooLarge()
    data = text.encode("ascii")
    pieces = data.translate(B64U_TO_STRICT).split(b"~")
    last = len(pieces) - 1  # index of the KB-JWT slot
    if last > policy.max_disclosures + 1:
        raise PayloadTooLarge()
    if last < 1 or not pieces[0] or not all(pieces[1:last]):
        raise Malformed()  # a bare JWT is not an SD-JWT (RFC 9901 §4); no empty disclosures
    position = len(pieces[0]) + 1  # of the current part in ``data``
    try:
        jws = _parse_jws(pieces[0], data[: position - 1])
    except ValueError as exc:
        raise Malformed() from exc
    disclosed: dict[str, tuple[str | None, Any]] = {}
    try:
        for index in range(1, last):
            encoded = pieces[index]
            end = position + len(encoded)
            array = parse_json(b64u_decode_translated(encoded))
            disclosed[digest_b64u(data[position:end])] = disclosed_claim(array)
            position = end + 1
    except ValueError as exc:
        raise InvalidDisclosure() from exc
    kb = None
    if pieces[last]:
        try:
            kb = _parse_jws(pieces[last], data[position:])
        except ValueError as exc:
            raise HolderBindingInvalid() from exc
    payload = jws.payload
    iss, iat, exp, nbf = payload.get("iss"), payload.get("iat"), payload.get("exp"), None
    # Times are integers; bool is an int subclass and is not a time (decisions.md).
    if not isinstance(iss, str) or type(iat) is not int or type(exp) is not int:
        raise Malformed()
    if "nbf" in payload:
        nbf = payload["nbf"]
        if type(nbf) is not int:
            raise Malformed()
    for name, kind in _CLAIM_TYPES:
        if name in payload and not isinstance(payload[name], kind):
            raise Malformed()
    return _Parsed(jws, disclosed, last - 1, kb, data[:position], iss, iat, exp, nbf)


_CLAIM_TYPES: tuple[tuple[str, type], ...] = (
    ("vct", str),
    ("_sd_alg", str),
    ("cnf", dict),
    ("_sd", list),
)


def _check_issuer_signature(
    parsed: _Parsed, directory: IssuerDirectory, policy: VerifyPolicy
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


def _check_disclosures(parsed: _Parsed) -> dict[str, Any]:
    """``_sd_alg``, then every disclosure used exactly once; returns the processed claims."""
    check_sd_alg(parsed.jws.payload)
    if len(parsed.disclosed) != parsed.disclosure_count:
        raise DisclosureMismatch()  # the same disclosure twice
    return unpack_claims(parsed.jws.payload, parsed.disclosed)


def _check_times(parsed: _Parsed, now: int, policy: VerifyPolicy) -> None:
    if parsed.jws.payload.get("vct") != policy.vct:
        raise WrongType()
    if parsed.exp <= now - policy.leeway:
        raise Expired()
    if parsed.iat > now + policy.leeway or (
        parsed.nbf is not None and parsed.nbf > now + policy.leeway
    ):
        raise NotYetValid()


def _replay_key(jwk: Mapping[str, Any], nonce: str) -> str:
    """Digest of (holder key, nonce): the key's defining members identify it as uniquely as
    its thumbprint does, without serialising JSON on every verification."""
    hasher = _new_sha256()
    hasher.update(f"{jwk['kty']}\x00{jwk['x']}\x00{jwk.get('y', '')}\x00{nonce}".encode())
    return hasher.hexdigest()


def _check_holder_binding(
    parsed: _Parsed,
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
    key = _replay_key(jwk, kb_nonce)
    if nonce_cache is not None and nonce_cache.seen(key, now=now):
        raise Replayed()
    return jwk, key


def _check_status(
    parsed: _Parsed,
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
    policy: VerifyPolicy = VerifyPolicy(),
) -> VerifiedPresentation:
    """Verify a presentation or raise the :class:`VerificationError` of the first failed check.

    ``audience``/``nonce`` are the verifier id and the nonce it issued for verifier-bound
    profiles (required there: a usage error otherwise); in-person QR presentations default to
    ``urn:residence-permit:qr``. The nonce is recorded in ``nonce_cache`` only after every
    other check passed, so a failing presentation cannot burn someone else's nonce (DESIGN §3).
    """
    if profile.verifier_bound and (audience is None or nonce is None):
        raise ConfigurationError("a verifier-bound profile needs the expected audience and nonce")
    parsed = _parse(text, policy)
    issuer = _check_issuer_signature(parsed, directory, policy)
    all_claims = _check_disclosures(parsed)
    _check_times(parsed, now, policy)
    holder, replay_key = _check_holder_binding(
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
    status = _check_status(
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
