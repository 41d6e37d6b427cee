"""Verifier-bound presentation requests (DESIGN §3) in the shape of OpenID4VP 1.0 cross-device.

A verifier that needs more than an in-person QR (``bank``, ``hospital``, ``agency``) shows its
own request: an ``openid4vp://`` URI (as a QR code or a link) carrying

- ``client_id`` = ``redirect_uri:`` + ``response_uri`` (OpenID4VP 1.0 §5.9.3: an unsigned
  request whose identity *is* the endpoint the answer goes to; the wallet shows that origin to
  the holder, and a presentation made for it is useless anywhere else),
- ``response_type=vp_token``, ``response_mode=direct_post``, ``response_uri``,
- a fresh single-use ``nonce`` and a ``state`` naming the request at the verifier,
- ``dcql_query`` asking for exactly the profile's claim paths (OpenID4VP 1.0 §6), and our
  ``profile`` name so the wallet can label the request ("bank", "hospital").

The wallet answers with a KB-JWT whose ``aud`` is the ``client_id`` and whose ``nonce`` is the
request's, POSTed form-encoded as ``vp_token`` (a JSON object keyed by the DCQL credential id)
and ``state`` to ``response_uri`` (OpenID4VP 1.0 §8.2), or shown back as a QR code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from wire.credential import ADDRESS_CLAIMS, CLAIM_NAMES, VCT
from wire.errors import InvalidInput

__all__ = [
    "CLIENT_ID_PREFIX",
    "CREDENTIAL_QUERY_ID",
    "REQUEST_SCHEME",
    "VerifierRequest",
    "dcql_query",
    "parse_request_uri",
    "parse_vp_token_form",
    "paths_from_dcql",
    "vp_token_form",
]

REQUEST_SCHEME: Final = "openid4vp"
CLIENT_ID_PREFIX: Final = "redirect_uri:"
CREDENTIAL_QUERY_ID: Final = "permit"
_MAX_URI = 4096
_MIN_NONCE, _MAX_NONCE = 16, 256
_KNOWN_PATHS = frozenset(CLAIM_NAMES) | {f"residence_address.{c}" for c in ADDRESS_CLAIMS}
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _refuse(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"presentation request: {field} {problem}", field=field)


def dcql_query(paths: Sequence[str]) -> dict[str, Any]:
    """A DCQL query (OpenID4VP 1.0 §6) asking for exactly these claim paths of a permit."""
    return {
        "credentials": [
            {
                "id": CREDENTIAL_QUERY_ID,
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [VCT]},
                "claims": [{"path": path.split(".")} for path in paths],
            }
        ]
    }


def paths_from_dcql(query: Any) -> tuple[str, ...]:
    """The dotted claim paths a DCQL query asks for; anything we cannot honour is refused."""
    credentials = query.get("credentials") if isinstance(query, dict) else None
    if not isinstance(credentials, list) or len(credentials) != 1:
        raise _refuse("dcql_query", "must ask for exactly one credential")
    entry = credentials[0]
    if not isinstance(entry, dict) or entry.get("format") != "dc+sd-jwt":
        raise _refuse("dcql_query", "must ask for a dc+sd-jwt credential")
    if entry.get("id") != CREDENTIAL_QUERY_ID:
        raise _refuse("dcql_query", "credential id must be 'permit'")
    meta = entry.get("meta")
    if not isinstance(meta, dict) or meta.get("vct_values") != [VCT]:
        raise _refuse("dcql_query", "must ask for the residence permit type")
    claims = entry.get("claims", [])
    if not isinstance(claims, list):
        raise _refuse("dcql_query", "claims must be a list")
    paths: list[str] = []
    for claim in claims:
        path = claim.get("path") if isinstance(claim, dict) else None
        if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
            raise _refuse("dcql_query", "claim paths must be lists of names")
        dotted = ".".join(path)
        if dotted not in _KNOWN_PATHS:
            raise _refuse("dcql_query", "asks for a claim a permit does not have")
        if dotted not in paths:
            paths.append(dotted)
    return tuple(paths)


def _check_response_uri(uri: str, *, allow_insecure_loopback: bool) -> None:
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unbalanced "[" in the host ("Invalid IPv6 URL")
        raise _refuse("response_uri", "must be an https URL") from None
    secure = parts.scheme == "https"
    loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    if not (secure or (loopback and allow_insecure_loopback)):
        raise _refuse("response_uri", "must be an https URL")
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise _refuse("response_uri", "must be a plain URL without userinfo or fragment")


@dataclass(frozen=True, slots=True)
class VerifierRequest:
    """One verifier-bound request; ``client_id`` is what the KB-JWT ``aud`` must be."""

    response_uri: str
    nonce: str
    state: str
    profile: str
    claims: tuple[str, ...]

    @property
    def client_id(self) -> str:
        return CLIENT_ID_PREFIX + self.response_uri

    def to_uri(self) -> str:
        """``openid4vp://?...`` for a QR code or link (parameters by value, no request_uri)."""
        params = {
            "client_id": self.client_id,
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": self.response_uri,
            "nonce": self.nonce,
            "state": self.state,
            "profile": self.profile,
            "dcql_query": json.dumps(dcql_query(self.claims), separators=(",", ":")),
        }
        return f"{REQUEST_SCHEME}://?{urlencode(params)}"


def parse_request_uri(text: str, *, allow_insecure_loopback: bool = False) -> VerifierRequest:
    """Parse and validate a request URI strictly (the wallet side).

    Raises :class:`~wire.errors.InvalidInput` naming the parameter: a wallet must refuse a
    request it cannot honour exactly rather than guess.
    """
    if len(text) > _MAX_URI:
        raise _refuse("request", "is too long")
    try:
        parts = urlsplit(text.strip())
    except ValueError:  # e.g. an unbalanced "[" in the host ("Invalid IPv6 URL")
        raise _refuse("request", "is not an openid4vp request") from None
    if parts.scheme != REQUEST_SCHEME:
        raise _refuse("request", "is not an openid4vp request")
    pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise _refuse(name, "appears twice")
        params[name] = value
    for name in ("client_id", "response_uri", "nonce", "state", "profile", "dcql_query"):
        if not params.get(name):
            raise _refuse(name, "is missing")
    if params.get("response_type") != "vp_token":
        raise _refuse("response_type", "must be vp_token")
    if params.get("response_mode") != "direct_post":
        raise _refuse("response_mode", "must be direct_post")
    response_uri = params["response_uri"]
    _check_response_uri(response_uri, allow_insecure_loopback=allow_insecure_loopback)
    if params["client_id"] != CLIENT_ID_PREFIX + response_uri:
        raise _refuse("client_id", "must be redirect_uri: followed by the response_uri")
    nonce = params["nonce"]
    if not (_MIN_NONCE <= len(nonce) <= _MAX_NONCE) or not nonce.isascii():
        raise _refuse("nonce", "must be 16 to 256 ASCII characters")
    try:
        query = json.loads(params["dcql_query"])
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the stack
        raise _refuse("dcql_query", "is not JSON") from None
    claims = paths_from_dcql(query)
    return VerifierRequest(response_uri, nonce, params["state"], params["profile"], claims)


def vp_token_form(presentation: str, state: str) -> dict[str, str]:
    """The direct_post body (OpenID4VP 1.0 §8.2): ``vp_token`` keyed by the DCQL id."""
    return {
        "vp_token": json.dumps({CREDENTIAL_QUERY_ID: [presentation]}, separators=(",", ":")),
        "state": state,
    }


def parse_vp_token_form(fields: Mapping[str, str]) -> tuple[str, str]:
    """(presentation, state) from a direct_post body; exactly one presentation is accepted."""
    raw, state = fields.get("vp_token"), fields.get("state")
    if not raw or not state:
        raise _refuse("vp_token", "and state are required")
    try:
        token = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the stack
        raise _refuse("vp_token", "is not JSON") from None
    entries = token.get(CREDENTIAL_QUERY_ID) if isinstance(token, dict) else None
    if not isinstance(entries, list) or len(entries) != 1 or not isinstance(entries[0], str):
        raise _refuse("vp_token", "must hold exactly one permit presentation")
    return entries[0], state
