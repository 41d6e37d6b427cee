"""Constants, the OAuth/OpenID4VCI error family and strict input helpers.

Every other module of the package parses hostile input through the helpers here, so the
limits (sizes, nesting, string lengths) and the error a defect becomes are decided once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Final, TypeGuard
from urllib.parse import urlsplit

from wire.credential import CREDENTIAL_TYP
from wire.encoding import json_depth, loads_object
from wire.errors import Malformed, PermitError

#: Grant Type of the Pre-Authorized Code Flow (OpenID4VCI 1.0 §4.1.1, §6.1).
PRE_AUTH_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#: ``typ`` of a key proof JWT (OpenID4VCI 1.0 Appendix F.1; RFC 8725 §3.11 explicit typing).
PROOF_TYP: Final = "openid4vci-proof+jwt"
#: The one Credential Configuration this issuer offers (OpenID4VCI 1.0 §12.2.4).
CONFIGURATION_ID: Final = "residence_permit_sd_jwt"
#: Credential Format Identifier of the SD-JWT VC profile (OpenID4VCI 1.0 Appendix A.3.1).
FORMAT: Final = CREDENTIAL_TYP
#: Custom URL scheme that invokes a wallet with a Credential Offer (OpenID4VCI 1.0 §12.1).
OFFER_SCHEME: Final = "openid-credential-offer"
#: Proof type supported in ``proofs`` (OpenID4VCI 1.0 Appendix F.1); ``di_vp`` and
#: ``attestation`` are not.
JWT_PROOF_TYPE: Final = "jwt"

#: Upper bound on a JSON request or response body, checked before parsing.
MAX_BODY_BYTES: Final = 64 * 1024
#: Upper bound on one proof JWT.
MAX_PROOF_CHARS: Final = 8 * 1024
#: Upper bound on a Credential Offer URI (a QR code holds at most 2,953 bytes anyway).
MAX_OFFER_CHARS: Final = 8 * 1024
#: Upper bound on a code, token, nonce or identifier string.
MAX_PARAM_CHARS: Final = 1024
#: Upper bound on a URL (issuer identifier, endpoint).
MAX_URL_CHARS: Final = 2048
#: RFC 7518 §6.2.2, §6.3.2, §6.4 and RFC 8037 §2: JWK members only a private key has.
PRIVATE_JWK_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: JSON nesting allowed in protocol messages (metadata is the deepest, at 6).
MAX_MESSAGE_DEPTH: Final = 12


# --- errors -----------------------------------------------------------------------------------

# RFC 6749 §5.2 / OpenID4VCI 1.0 §8.3.1.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
_DESCRIPTION_CHARS = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class Oid4vciError(PermitError):
    """An OAuth 2.0 / OpenID4VCI error response (RFC 6749 §5.2, RFC 6750 §3.1, OpenID4VCI §8.3.1).

    ``code`` (also readable as :attr:`error`) is the wire error code and :attr:`status` its HTTP
    status. These codes are not in :data:`wire.errors.HTTP_STATUS`, because OAuth error bodies
    are ``{"error", "error_description"}`` rather than problem+json: the issuer's exception
    handler answers an ``Oid4vciError`` with ``status``, :meth:`headers` and :meth:`to_json`.
    Messages are fixed strings chosen at the raise site; nothing from the input is echoed.
    """

    code: ClassVar[str] = "invalid_request"
    default_message: ClassVar[str] = "the request is invalid"
    status: ClassVar[int] = 400

    @property
    def error(self) -> str:
        """The ``error`` member of the response body."""
        return self.code

    def to_json(self) -> dict[str, str]:
        """Response body; ``error_description`` is restricted to the RFC 6749 character set."""
        return {
            "error": self.code,
            "error_description": _DESCRIPTION_CHARS.sub("", self.message),
        }

    def headers(self) -> dict[str, str]:
        """Response headers: error responses are never cached (RFC 6749 §5.1)."""
        return {"Cache-Control": "no-store"}


class InvalidRequest(Oid4vciError):
    """Token Request malformed, or ``tx_code`` sent when not expected / missing (§6.3)."""

    code = "invalid_request"
    default_message = "the token request is invalid"


class InvalidClient(Oid4vciError):
    """Client authentication failed or anonymous access is refused (RFC 6749 §5.2, §6.3)."""

    code = "invalid_client"
    default_message = "client authentication failed"
    status = 401


class InvalidGrant(Oid4vciError):
    """Wrong, expired or used Pre-Authorized Code, or a wrong Transaction Code (§6.3)."""

    code = "invalid_grant"
    default_message = "the pre-authorized code or transaction code is invalid"


class UnsupportedGrantType(Oid4vciError):
    """Any grant type other than the Pre-Authorized Code (RFC 6749 §5.2)."""

    code = "unsupported_grant_type"
    default_message = "only the pre-authorized code grant is supported"


class InvalidToken(Oid4vciError):
    """Missing, expired or unknown access token at the Credential Endpoint (RFC 6750 §3.1)."""

    code = "invalid_token"
    default_message = "the access token is invalid"
    status = 401

    def headers(self) -> dict[str, str]:
        """RFC 6750 §3: a 401 carries a ``WWW-Authenticate`` challenge."""
        return {**super().headers(), "WWW-Authenticate": 'Bearer error="invalid_token"'}


class InvalidCredentialRequest(Oid4vciError):
    """Credential Request malformed or with an unsupported parameter (§8.3.1.2)."""

    code = "invalid_credential_request"
    default_message = "the credential request is invalid"


class UnknownCredentialConfiguration(Oid4vciError):
    code = "unknown_credential_configuration"
    default_message = "the requested credential configuration is unknown"


class UnknownCredentialIdentifier(Oid4vciError):
    code = "unknown_credential_identifier"
    default_message = "the requested credential identifier is unknown"


class InvalidProof(Oid4vciError):
    """``proofs`` missing, a key proof invalid, or a key proof without ``nonce`` (§8.3.1.2)."""

    code = "invalid_proof"
    default_message = "a key proof is invalid"


class InvalidNonce(Oid4vciError):
    """A key proof's ``c_nonce`` is not (or no longer) valid; fetch a new one (§8.3.1.2)."""

    code = "invalid_nonce"
    default_message = "the key proof nonce is invalid; request a new c_nonce"


class InvalidEncryptionParameters(Oid4vciError):
    code = "invalid_encryption_parameters"
    default_message = "credential response encryption is not supported"


class CredentialRequestDenied(Oid4vciError):
    code = "credential_request_denied"
    default_message = "the credential request was denied"


class InvalidCredentialOffer(Oid4vciError):
    """Wallet side: a scanned or pasted Credential Offer is unusable (not a wire error code)."""

    code = "invalid_credential_offer"
    default_message = "the credential offer is invalid"


class InvalidIssuerResponse(Oid4vciError):
    """Wallet side: the issuer answered with something this client cannot use (502 upstream)."""

    code = "invalid_issuer_response"
    default_message = "the credential issuer sent an invalid response"
    status = 502


#: Error classes by wire code, e.g. for a wallet reading an issuer's error response.
ERROR_CLASSES: Final[Mapping[str, type[Oid4vciError]]] = {
    cls.code: cls
    for cls in (
        InvalidRequest,
        InvalidClient,
        InvalidGrant,
        UnsupportedGrantType,
        InvalidToken,
        InvalidCredentialRequest,
        UnknownCredentialConfiguration,
        UnknownCredentialIdentifier,
        InvalidProof,
        InvalidNonce,
        InvalidEncryptionParameters,
        CredentialRequestDenied,
        InvalidCredentialOffer,
        InvalidIssuerResponse,
    )
}


# --- strict input helpers ---------------------------------------------------------------------


def is_int(value: object) -> TypeGuard[int]:
    """A JSON integer: ``True`` is not ``1`` here."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_text(value: object, max_chars: int = MAX_PARAM_CHARS) -> TypeGuard[str]:
    """A non-empty string of bounded length."""
    return isinstance(value, str) and 0 < len(value) <= max_chars


def load_message(
    data: bytes | str | Mapping[str, Any], error: type[Oid4vciError], what: str
) -> dict[str, Any]:
    """A JSON object from a body (strict: UTF-8, no duplicate names, bounded size and depth)."""
    if isinstance(data, Mapping):
        obj = dict(data)
        if json_depth(obj) > MAX_MESSAGE_DEPTH:
            raise error(f"{what} is nested too deeply")
        return obj
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
    except UnicodeEncodeError as exc:  # a lone surrogate (from a "\ud800" escape) is not text
        raise error(f"{what} is not a strict JSON object") from exc
    if len(raw) > MAX_BODY_BYTES:
        raise error(f"{what} is too large")
    try:
        return loads_object(raw, Malformed, max_depth=MAX_MESSAGE_DEPTH)
    except Malformed as exc:
        raise error(f"{what} is not a strict JSON object") from exc


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: object, *, allow_insecure_loopback: bool, query: bool = False) -> str:
    """An ``https`` URL with a host, no userinfo and no fragment, or raise ``ValueError``.

    Credential Issuer Identifiers have no query either (OpenID4VCI §12.2.1); endpoints may
    (§12.2.4), which ``query=True`` allows. ``http`` is accepted only for a loopback host and
    only when ``allow_insecure_loopback`` is set (tests and local demos, DESIGN §2).
    """
    if not is_text(value, MAX_URL_CHARS) or not value.isascii() or not value.isprintable():
        raise ValueError("URL must be a printable ASCII string")
    if any(ch.isspace() for ch in value):
        raise ValueError("URL must not contain whitespace")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError("URL is malformed") from exc
    if not host or "@" in parts.netloc:
        raise ValueError("URL needs a host and must not carry userinfo")
    if parts.fragment or "#" in value:
        raise ValueError("URL must not have a fragment")
    if (parts.query or "?" in value) and not query:
        raise ValueError("URL must not have a query")
    if parts.scheme == "https":
        return value
    if parts.scheme == "http" and allow_insecure_loopback and _is_loopback(host):
        return value
    raise ValueError("URL must use https")
