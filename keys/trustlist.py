"""Build, sign, verify and load trust lists (DESIGN §5).

A trust list is JSON, optionally wrapped in a compact JWS with ``typ`` = ``trustlist+jwt``
signed by a federation anchor key. The model and all validation live in :mod:`wire.trust`;
this module adds the signature envelope and file loading.

Plain versus signed (the policy of :func:`load_trust_list_file`): when **no** anchor is
configured, only a plain JSON list is accepted — the operator vouches for the file, as for any
other configuration. When an anchor **is** configured, only a signed list is accepted: an
operator who configured an anchor asked for signatures, and quietly accepting an unsigned file
would let whoever can replace the file bypass them. A signed list without an anchor is refused
too, since its signature could not be checked. Every failure is a
:class:`~wire.errors.ConfigurationError` (CLI exit status 2, DESIGN §5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from keys._files import read_limited
from wire.errors import ConfigurationError, Malformed
from wire.jwk import PrivateKey, PublicKey, public_jwk, thumbprint
from wire.jws import ALGORITHMS, parse_compact, sign_compact, verify_signature
from wire.trust import MAX_TRUST_LIST_BYTES, TRUST_LIST_VERSION, TrustList, load_jwks

__all__ = [
    "MAX_CLOCK_SKEW",
    "TRUST_LIST_TYP",
    "AnchorKeys",
    "build_trust_list",
    "load_trust_list_file",
    "sign_trust_list",
    "verify_trust_list",
]

TRUST_LIST_TYP = "trustlist+jwt"
#: Seconds an ``iat``/``nbf`` may lie in the future before a signed list is refused.
MAX_CLOCK_SKEW = 300
#: Anchor keys: imported public keys, or a JWKS object whose kids are RFC 7638 thumbprints.
AnchorKeys = Sequence[PublicKey] | Mapping[str, Any]

_TIME_CLAIMS = ("iat", "nbf", "exp")
_IGNORED_STRING_CLAIMS = ("iss", "sub", "jti")


def _unix(now: int | datetime) -> int:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return int(now.timestamp())
    if isinstance(now, bool) or not isinstance(now, int):
        raise TypeError("now must be Unix seconds or an aware datetime")
    return now


def build_trust_list(
    issuers: Sequence[Mapping[str, Any]], *, allow_insecure_loopback: bool = False
) -> dict[str, Any]:
    """A version-1 trust list of ``issuers``, validated and in normalised form (DESIGN §5).

    Each entry has ``iss``, ``name``, ``region_code``, ``jwks`` and ``status_list_prefixes``.
    The result is what :meth:`TrustList.to_json` produces, so every key carries ``kid``,
    ``alg`` and ``use``; an invalid entry raises instead of being left out.
    """
    obj = {"version": TRUST_LIST_VERSION, "issuers": [dict(entry) for entry in issuers]}
    return TrustList.from_json(obj, allow_insecure_loopback=allow_insecure_loopback).to_json()


def sign_trust_list(
    trust_list: Mapping[str, Any],
    key: PrivateKey,
    *,
    iat: int,
    exp: int,
    allow_insecure_loopback: bool = False,
) -> str:
    """Wrap a trust list in a ``trustlist+jwt`` compact JWS signed by an anchor key.

    The header carries ``kid`` = RFC 7638 thumbprint of the anchor key; the payload is the list
    plus ``iat`` and ``exp``. The list is validated first: signing a list that verifiers would
    refuse helps nobody.
    """
    listed = TrustList.from_json(dict(trust_list), allow_insecure_loopback=allow_insecure_loopback)
    if exp <= iat:
        raise ConfigurationError("trust list exp must be after iat")
    header = {"typ": TRUST_LIST_TYP, "kid": thumbprint(public_jwk(key))}
    return sign_compact(header, {**listed.to_json(), "iat": iat, "exp": exp}, key)


def _anchor_map(anchor_keys: AnchorKeys) -> Mapping[str, PublicKey]:
    if isinstance(anchor_keys, Mapping):
        return load_jwks(dict(anchor_keys), where="anchor jwks")
    anchors = {thumbprint(public_jwk(key)): key for key in anchor_keys}
    if not anchors:
        raise ConfigurationError("no trust list anchor keys configured")
    return anchors


def _check_claims(payload: dict[str, Any], now: int) -> None:
    times: dict[str, int] = {}
    for claim in _TIME_CLAIMS:
        if claim in payload:
            value = payload.pop(claim)
            if type(value) is not int:
                raise ConfigurationError(f"signed trust list: '{claim}' must be an integer")
            times[claim] = value
    for claim in _IGNORED_STRING_CLAIMS:
        if claim in payload and not isinstance(payload.pop(claim), str):
            raise ConfigurationError(f"signed trust list: '{claim}' must be a string")
    if "exp" in times and times["exp"] <= now:
        raise ConfigurationError("signed trust list has expired")
    if any(times.get(claim, now) > now + MAX_CLOCK_SKEW for claim in ("iat", "nbf")):
        raise ConfigurationError("signed trust list is not valid yet")


def verify_trust_list(
    token: str,
    *,
    anchor_keys: AnchorKeys,
    now: int | datetime,
    allow_insecure_loopback: bool = False,
) -> TrustList:
    """Verify a ``trustlist+jwt`` against the federation anchors and return the list.

    Checks, each refusing with :class:`ConfigurationError`: compact JWS syntax (strict base64url
    and JSON), ``typ`` = ``trustlist+jwt``, ``alg`` in {ES256, EdDSA} and matching the anchor's
    key type, no ``crit``, a ``kid`` that is the thumbprint of one of ``anchor_keys`` (header key
    material is never used), a valid signature, ``exp`` after ``now`` when present, ``iat`` and
    ``nbf`` not in the future, then the full validation of :meth:`TrustList.from_json`.
    """
    current = _unix(now)
    anchors = _anchor_map(anchor_keys)
    if len(token) > MAX_TRUST_LIST_BYTES:
        raise ConfigurationError("signed trust list is too large")
    try:
        jws = parse_compact(token, Malformed)
    except Malformed:
        raise ConfigurationError("signed trust list is not a well-formed compact JWS") from None
    header = jws.header
    if header.get("typ") != TRUST_LIST_TYP:
        raise ConfigurationError("signed trust list: typ must be trustlist+jwt")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise ConfigurationError("signed trust list: alg must be ES256 or EdDSA")
    if "crit" in header:
        raise ConfigurationError("signed trust list: critical header extensions are refused")
    kid = header.get("kid")
    anchor = anchors.get(kid) if isinstance(kid, str) else None
    if anchor is None:
        raise ConfigurationError("signed trust list is not signed by a configured anchor key")
    if not verify_signature(jws, anchor, alg):
        raise ConfigurationError("signed trust list: signature does not verify")
    payload = dict(jws.payload)
    _check_claims(payload, current)
    return TrustList.from_json(payload, allow_insecure_loopback=allow_insecure_loopback)


def load_trust_list_file(
    path: Path,
    *,
    anchor: AnchorKeys | None = None,
    now: int | datetime,
    allow_insecure_loopback: bool = False,
) -> TrustList:
    """Load a plain JSON or a signed trust list file under the policy in the module docstring.

    A file whose first non-blank character is ``{`` is plain JSON; anything else is taken as a
    compact JWS (surrounding whitespace, e.g. a final newline, is ignored).
    """
    try:
        data = read_limited(path, MAX_TRUST_LIST_BYTES)
    except OSError:
        raise ConfigurationError("trust list file cannot be read") from None
    if data is None:
        raise ConfigurationError("trust list file is too large")
    content = data.strip()
    if content.startswith(b"{"):
        if anchor is not None:
            raise ConfigurationError("trust list is not signed, but a trust anchor is configured")
        return TrustList.from_bytes(content, allow_insecure_loopback=allow_insecure_loopback)
    if anchor is None:
        raise ConfigurationError("trust list is signed; configure its anchor key to verify it")
    try:
        token = content.decode("ascii")
    except UnicodeDecodeError:
        raise ConfigurationError("signed trust list is not a well-formed compact JWS") from None
    return verify_trust_list(
        token, anchor_keys=anchor, now=now, allow_insecure_loopback=allow_insecure_loopback
    )
