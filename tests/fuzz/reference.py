"""Plain reference implementations: the oracles of the fuzz properties and atheris targets.

Strict base64url and JSON (DESIGN §6) written with the standard library, and a reference
verifier for "valid only when genuinely valid".

``wire.verify`` is tuned for throughput (one translation and split of the whole text, offsets
instead of substrings, inlined digest walks). This module decides the same question the slow,
obvious way, with the general helpers of ``wire`` (``split_presentation``, ``parse_compact``,
``parse_disclosure``, ``process_payload``, ``verify_signature``) and the rules of DESIGN §3 and
§6 written out one by one. The fuzz properties demand that the two agree on *whether* a
presentation is valid and on the claims it yields; the exact reason code of a rejection is
pinned elsewhere (tests/wire, the adversarial suite).

No pytest import: the atheris targets under fuzz/ use these oracles too.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard

from wire.credential import CREDENTIAL_TYP, VCT
from wire.encoding import MAX_JSON_DEPTH, b64u_encode
from wire.errors import REASON_CODES, HolderBindingInvalid, Malformed, VerificationError
from wire.jwk import load_public_jwk
from wire.jws import CompactJWS, parse_compact, verify_signature
from wire.presentation import KB_TYP, QR_AUDIENCE, sd_hash
from wire.profiles import Profile, filter_claims, has_claims
from wire.sdjwt import process_payload, split_presentation
from wire.verify import (
    IssuerDirectory,
    IssuerTrust,
    VerificationResult,
    VerifyPolicy,
    check_presentation,
)

__all__ = [
    "check_against_reference",
    "reference_b64u",
    "reference_claims",
    "reference_depth",
    "reference_json",
    "same_json",
]

# --- strict base64url and JSON ----------------------------------------------------------------

_CANONICAL_CHARS = re.compile(r"[A-Za-z0-9_-]*")


def reference_b64u(text: str) -> bytes | None:
    """RFC 4648 §5 without padding, canonical: what the standard library decodes and re-encodes
    to the very same text."""
    if not _CANONICAL_CHARS.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        return None
    return data if b64u_encode(data) == text else None


class _Refused(Exception):
    pass


def _nodes(value: Any) -> list[tuple[Any, int]]:
    """Every node with its nesting depth (``[]`` is depth 1), walked with an explicit stack:
    the reference must survive the ~990 levels ``json`` itself accepts."""
    out: list[tuple[Any, int]] = []
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        out.append((node, depth))
        if isinstance(node, dict):
            stack += [(k, depth) for k in node]  # member names are strings at this level
            stack += [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, depth + 1) for v in node]
    return out


def reference_depth(value: Any) -> int:
    return max(depth + isinstance(node, dict | list) for node, depth in _nodes(value))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({name for name, _ in pairs}) != len(pairs):
        raise _Refused
    return dict(pairs)


def _no_constants(name: str) -> Any:
    raise _Refused


def reference_json(data: bytes) -> tuple[bool, Any]:
    """DESIGN §6 JSON, spelt out: UTF-8, ``json`` grammar, no duplicate names, no ``NaN`` /
    ``Infinity`` / overflowing floats, nesting ≤ 32, no lone surrogate in any string."""
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constants
        )
    except (ValueError, RecursionError, _Refused):
        return False, None
    if reference_depth(value) > MAX_JSON_DEPTH:
        return False, None
    for node, _ in _nodes(value):
        if isinstance(node, float) and not math.isfinite(node):
            return False, None
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return False, None
    return True, value


def same_json(a: Any, b: Any) -> bool:
    """Equality that also compares types (``1 == 1.0 == True`` in Python, not in JSON)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# --- the verifier -----------------------------------------------------------------------------


_POLICY = VerifyPolicy()
_VISIBLE = frozenset({"iss", "iat", "nbf", "exp", "vct", "cnf", "status", "sub"})
_TYPED = (("vct", str), ("_sd_alg", str), ("cnf", dict), ("_sd", list))


class _Rejected(Exception):
    """The reference verifier's single failure: *that* it fails is all the oracle needs."""


def _require(condition: bool) -> None:
    if not condition:
        raise _Rejected


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int  # bool is an int subclass and is not a time or an index


def _allowed_alg(header: dict[str, Any], policy: VerifyPolicy) -> str:
    alg = header.get("alg")
    _require(isinstance(alg, str) and alg in policy.algorithms)
    assert isinstance(alg, str)
    return alg


def _check_kb(
    kb: CompactJWS,
    payload: dict[str, Any],
    body: str,
    *,
    audience: str,
    nonce: str | None,
    now: int,
    policy: VerifyPolicy,
) -> None:
    holder_key = load_public_jwk(payload["cnf"].get("jwk"), HolderBindingInvalid)
    _require(kb.header.get("typ") == KB_TYP and "crit" not in kb.header)
    _require(verify_signature(kb, holder_key, _allowed_alg(kb.header, policy)))
    claims = kb.payload
    iat, kb_nonce, aud = claims.get("iat"), claims.get("nonce"), claims.get("aud")
    _require(_is_int(iat) and isinstance(kb_nonce, str) and isinstance(aud, str))
    assert isinstance(iat, int)
    assert isinstance(kb_nonce, str)
    _require(0 < len(kb_nonce) <= policy.max_nonce)
    _require(claims.get("sd_hash") == sd_hash(body))
    _require(nonce is None or kb_nonce == nonce)
    _require(aud == audience)
    _require(now - policy.kb_window <= iat <= now + policy.leeway)


def _verify(
    text: str,
    *,
    directory: IssuerDirectory,
    profile: Profile,
    now: int,
    status_value: Callable[[str, int], int],
    uri_allowed: Callable[[str, Sequence[str]], bool],
    audience: str | None,
    nonce: str | None,
    policy: VerifyPolicy,
) -> dict[str, Any]:
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    # Size first (DESIGN §6), then the parts; any parse failure is a rejection.
    _require(len(text.encode("utf-8", "surrogatepass")) <= policy.max_presentation)
    _require(text.count("~") <= policy.max_disclosures + 1 and text.isascii())
    parts = split_presentation(text)
    jws = parse_compact(parts.issuer_jwt, Malformed)
    payload, header = jws.payload, jws.header
    kb = parse_compact(parts.kb_jwt, HolderBindingInvalid) if parts.kb_jwt else None
    _require(isinstance(payload.get("iss"), str))
    _require(_is_int(payload.get("iat")) and _is_int(payload.get("exp")))
    _require("nbf" not in payload or _is_int(payload["nbf"]))
    _require(all(name not in payload or isinstance(payload[name], t) for name, t in _TYPED))
    # Header, issuer, key, signature.
    _require(header.get("typ") == CREDENTIAL_TYP and "crit" not in header)
    alg = _allowed_alg(header, policy)
    issuer = directory.issuer(payload["iss"])
    kid = header.get("kid")
    key = issuer.key(kid) if issuer is not None and isinstance(kid, str) else None
    _require(issuer is not None and key is not None)
    assert issuer is not None
    assert key is not None
    _require(verify_signature(jws, key, alg))
    # Disclosures (RFC 9901 §7.1), with the generic implementation.
    all_claims, _ = process_payload(payload, parts.disclosures)
    # Type and times.
    _require(payload.get("vct") == VCT)
    _require(payload["exp"] > now - policy.leeway and payload["iat"] <= now + policy.leeway)
    _require("nbf" not in payload or payload["nbf"] <= now + policy.leeway)
    # Holder binding (DESIGN §3).
    if "cnf" in payload:
        _require(kb is not None)
        assert kb is not None
        _check_kb(
            kb,
            payload,
            parts.without_kb,
            audience=audience or QR_AUDIENCE,
            nonce=nonce,
            now=now,
            policy=policy,
        )
    else:
        _require(kb is None and profile.paper)
    # Profile sufficiency, then status.
    user_claims = {k: v for k, v in all_claims.items() if k not in _VISIBLE}
    _require(has_claims(user_claims, profile.claims))
    reference = payload.get("status")
    status_list = reference.get("status_list") if isinstance(reference, dict) else None
    _require(isinstance(status_list, dict))
    assert isinstance(status_list, dict)
    idx, uri = status_list.get("idx"), status_list.get("uri")
    _require(_is_int(idx) and idx >= 0 and isinstance(uri, str))
    assert isinstance(idx, int)
    assert isinstance(uri, str)
    _require(uri_allowed(uri, issuer.status_list_prefixes))
    _require(status_value(uri, idx) == 0)
    return filter_claims(user_claims, profile)


def reference_claims(
    text: str,
    *,
    directory: IssuerDirectory,
    profile: Profile,
    now: int,
    status_value: Callable[[str, int], int],
    uri_allowed: Callable[[str, Sequence[str]], bool],
    audience: str | None = None,
    nonce: str | None = None,
    policy: VerifyPolicy = _POLICY,
) -> dict[str, Any] | None:
    """The disclosed claims (filtered by ``profile``) if ``text`` is valid, else None.

    Replay is not modelled: callers verify each presentation once, without a nonce cache.
    """
    try:
        return _verify(
            text,
            directory=directory,
            profile=profile,
            now=now,
            status_value=status_value,
            uri_allowed=uri_allowed,
            audience=audience,
            nonce=nonce,
            policy=policy,
        )
    except (_Rejected, VerificationError):
        return None


class _StatusStub:
    """``StatusLookup`` answering one value and counting calls."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.calls = 0

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        self.calls += 1
        return self.value


#: The ``status`` member of a rejected result: only these two reasons say something about it.
_STATUS_OF: dict[str | None, Any] = {"revoked": "revoked", "suspended": "suspended"}


def check_against_reference(
    text: str,
    profile: Profile,
    *,
    directory: IssuerDirectory,
    uri_allowed: Callable[[str, Sequence[str]], bool],
    now: int,
    status: int = 0,
    audience: str | None = None,
    nonce: str | None = None,
) -> VerificationResult:
    """Run ``check_presentation`` once (no replay cache) and assert the DESIGN §6 contract.

    No exception; a reason out of the 21 codes; ``claims == {}`` and no issuer when rejected;
    and valid exactly when :func:`reference_claims` finds the presentation valid, with the same
    claims. Returns the result for further checks.
    """
    stub = _StatusStub(status)
    result = check_presentation(
        text,
        profile=profile,
        directory=directory,
        now=now,
        status_lookup=stub,
        uri_allowed=uri_allowed,
        audience=audience,
        nonce=nonce,
    )
    expected = reference_claims(
        text,
        directory=directory,
        profile=profile,
        now=now,
        status_value=lambda uri, idx: status,
        uri_allowed=uri_allowed,
        audience=audience,
        nonce=nonce,
    )
    assert result.profile == profile.name
    if result.valid:
        assert result.reason is None
        assert result.status == "valid"
        assert expected is not None, "valid, but the reference verifier refuses it"
        assert result.claims == expected
        assert stub.calls == 1
    else:
        assert result.reason in REASON_CODES
        assert result.claims == {}
        assert result.issuer is None
        assert result.status == _STATUS_OF.get(result.reason)
        assert expected is None, f"refused as {result.reason}, but the reference accepts it"
    return result
