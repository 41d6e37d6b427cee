"""One error hierarchy with stable, machine-readable codes.

Every failure in the system is a :class:`PermitError` subclass whose ``code`` class attribute is
a stable string. Verification failures use exactly the reason codes of DESIGN §6; service errors
(not found, conflict, ...) use their own codes. The services map ``code`` to an HTTP status in
one place (:data:`HTTP_STATUS`), so the mapping is data here and framework code stays in the
services.

Messages are for operators and must never carry personal data, tokens or key material: they are
fixed strings chosen at the raise site, not formatted from input (CONVENTIONS §4).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "REASON_CODES",
    "AuthenticationRequired",
    "BadSignature",
    "ConfigurationError",
    "Conflict",
    "DisclosureMismatch",
    "Expired",
    "Forbidden",
    "HolderBindingInvalid",
    "HolderBindingMissing",
    "InsufficientDisclosure",
    "InvalidDisclosure",
    "InvalidInput",
    "Malformed",
    "NotFound",
    "NotYetValid",
    "PayloadTooLarge",
    "PermitError",
    "RateLimited",
    "Replayed",
    "Revoked",
    "ServiceUnavailable",
    "StalePresentation",
    "StatusInvalid",
    "StatusUnavailable",
    "Suspended",
    "UnknownIssuer",
    "UnknownKey",
    "UnsupportedAlg",
    "VerificationError",
    "WrongAudience",
    "WrongType",
    "http_status",
]


class PermitError(Exception):
    """Root of every error the project raises on purpose."""

    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


# --- verification failures: exactly the reason codes of DESIGN §6 -------------------------


class VerificationError(PermitError):
    """A presentation, credential or status token failed a check; ``code`` is the reason."""

    code: ClassVar[str] = "malformed"


class Malformed(VerificationError):
    code = "malformed"
    default_message = "input is not a well-formed SD-JWT presentation"


class PayloadTooLarge(VerificationError):
    code = "payload_too_large"
    default_message = "input exceeds a size limit"


class UnsupportedAlg(VerificationError):
    code = "unsupported_alg"
    default_message = "signature algorithm is not allowed"


class WrongType(VerificationError):
    code = "wrong_type"
    default_message = "token type or credential type is not the expected one"


class UnknownIssuer(VerificationError):
    code = "unknown_issuer"
    default_message = "issuer is not in the trust list"


class UnknownKey(VerificationError):
    code = "unknown_key"
    default_message = "signing key is not in the issuer's trusted keys"


class BadSignature(VerificationError):
    code = "bad_signature"
    default_message = "signature does not verify"


class Expired(VerificationError):
    code = "expired"
    default_message = "credential has expired"


class NotYetValid(VerificationError):
    code = "not_yet_valid"
    default_message = "credential is not yet valid"


class InvalidDisclosure(VerificationError):
    code = "invalid_disclosure"
    default_message = "a disclosure is not well-formed"


class DisclosureMismatch(VerificationError):
    code = "disclosure_mismatch"
    default_message = "a disclosure does not match the signed digests"


class HolderBindingMissing(VerificationError):
    code = "holder_binding_missing"
    default_message = "key binding JWT is required but missing"


class HolderBindingInvalid(VerificationError):
    code = "holder_binding_invalid"
    default_message = "key binding JWT is invalid"


class StalePresentation(VerificationError):
    code = "stale_presentation"
    default_message = "presentation is outside the freshness window"


class Replayed(VerificationError):
    code = "replayed"
    default_message = "presentation nonce was already used"


class WrongAudience(VerificationError):
    code = "wrong_audience"
    default_message = "presentation is meant for another verifier"


class Revoked(VerificationError):
    code = "revoked"
    default_message = "credential has been revoked"


class Suspended(VerificationError):
    code = "suspended"
    default_message = "credential is suspended"


class StatusUnavailable(VerificationError):
    code = "status_unavailable"
    default_message = "credential status could not be obtained"


class StatusInvalid(VerificationError):
    code = "status_invalid"
    default_message = "credential status reference or status token is invalid"


class InsufficientDisclosure(VerificationError):
    code = "insufficient_disclosure"
    default_message = "presentation lacks a claim the verifier profile requires"


REASON_CODES: tuple[str, ...] = (
    "malformed",
    "payload_too_large",
    "unsupported_alg",
    "wrong_type",
    "unknown_issuer",
    "unknown_key",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "invalid_disclosure",
    "disclosure_mismatch",
    "holder_binding_missing",
    "holder_binding_invalid",
    "stale_presentation",
    "replayed",
    "wrong_audience",
    "revoked",
    "suspended",
    "status_unavailable",
    "status_invalid",
    "insufficient_disclosure",
)


# --- service errors -------------------------------------------------------------------------


class InvalidInput(PermitError):
    """Request data failed validation; ``field`` names the offending field when known."""

    code = "invalid_input"
    default_message = "request data is invalid"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AuthenticationRequired(PermitError):
    code = "unauthenticated"
    default_message = "authentication required"


class Forbidden(PermitError):
    code = "forbidden"
    default_message = "not allowed"


class NotFound(PermitError):
    code = "not_found"
    default_message = "not found"


class Conflict(PermitError):
    """An illegal state-machine move or a uniqueness clash; nothing was changed."""

    code = "conflict"
    default_message = "the request conflicts with the current state"


class RateLimited(PermitError):
    code = "rate_limited"
    default_message = "too many requests"

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(PermitError):
    """Configuration (trust list, key file, settings) is invalid; the CLI exits with status 2."""

    code = "configuration_error"
    default_message = "configuration is invalid"


class ServiceUnavailable(PermitError):
    code = "service_unavailable"
    default_message = "a backing service is unavailable"


#: The one place where error codes become HTTP statuses. Verification failures are not HTTP
#: errors (``POST /v1/verify`` answers 200 with ``valid: false``); they appear here for the
#: endpoints that reject a token they were handed (e.g. a proof JWT at the issuer).
HTTP_STATUS: dict[str, int] = {
    "invalid_input": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "service_unavailable": 503,
    "payload_too_large": 413,
    "internal_error": 500,
    "configuration_error": 500,
    **{code: 400 for code in REASON_CODES if code != "payload_too_large"},
}


def http_status(error: PermitError) -> int:
    """HTTP status for an error, by its code (DESIGN: HTTP maps codes in one place)."""
    return HTTP_STATUS.get(error.code, 500)
