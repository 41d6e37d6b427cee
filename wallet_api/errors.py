"""Wallet-specific errors: codes on top of :mod:`wire.errors`, and their HTTP statuses.

Every error is a :class:`~wire.errors.PermitError` with a stable ``code``; the API's one
exception handler (:mod:`wallet_api.api.errors`) answers with RFC 9457 problem+json, the status
from :func:`http_status`. Messages are fixed strings chosen at the raise site: nothing from an
issuer's or verifier's answer, and no claim value, is ever echoed (CONVENTIONS §4).
"""

from __future__ import annotations

from typing import Final

from wire.errors import Conflict, InvalidInput, PermitError
from wire.errors import http_status as wire_http_status

__all__ = [
    "WALLET_HTTP_STATUS",
    "IssuerRefused",
    "IssuerUnavailable",
    "OfferAlreadyRedeemed",
    "OfferInProgress",
    "PaperNotOffered",
    "RemoteError",
    "UntrustedIssuer",
    "VerifierBoundProfile",
    "VerifierRefused",
    "VerifierUnavailable",
    "http_status",
]


class OfferAlreadyRedeemed(Conflict):
    code = "offer_already_redeemed"
    default_message = "this credential offer was already redeemed"


class OfferInProgress(Conflict):
    code = "offer_in_progress"
    default_message = "this credential offer is being redeemed right now"


class UntrustedIssuer(InvalidInput):
    code = "untrusted_issuer"
    default_message = "this wallet does not accept offers from that issuer"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, field="offer")


class VerifierBoundProfile(Conflict):
    code = "verifier_bound_profile"
    default_message = "this profile needs the verifier's own request: scan or paste it"


class PaperNotOffered(Conflict):
    code = "paper_not_offered"
    default_message = "the issuer of this permit does not issue paper permits"


class RemoteError(PermitError):
    """Base of failures of another party (issuer, verifier) as seen by the wallet."""

    code = "remote_error"
    default_message = "another service failed"


class IssuerRefused(RemoteError):
    """The issuer answered with an OAuth/OpenID4VCI error; ``issuer_error`` is its wire code."""

    code = "issuer_refused"
    default_message = "the issuer refused the request"

    def __init__(self, message: str | None = None, *, issuer_error: str) -> None:
        super().__init__(message)
        self.issuer_error = issuer_error


class IssuerUnavailable(RemoteError):
    code = "issuer_unavailable"
    default_message = "the issuer could not be reached or sent an unusable answer"


class VerifierRefused(RemoteError):
    code = "verifier_refused"
    default_message = "the verifier did not accept the presentation"

    def __init__(self, message: str | None = None, *, verifier_status: int) -> None:
        super().__init__(message)
        self.verifier_status = verifier_status


class VerifierUnavailable(RemoteError):
    code = "verifier_unavailable"
    default_message = "the verifier could not be reached"


#: Statuses of the wallet's own codes; everything else follows :data:`wire.errors.HTTP_STATUS`.
WALLET_HTTP_STATUS: Final[dict[str, int]] = {
    OfferAlreadyRedeemed.code: 409,
    OfferInProgress.code: 409,
    UntrustedIssuer.code: 422,
    VerifierBoundProfile.code: 409,
    PaperNotOffered.code: 409,
    IssuerRefused.code: 400,
    IssuerUnavailable.code: 502,
    VerifierRefused.code: 502,
    VerifierUnavailable.code: 502,
    "invalid_credential_offer": 422,
    "invalid_issuer_response": 502,
}


def http_status(error: PermitError) -> int:
    """HTTP status of ``error``: the wallet's table first, then the shared one."""
    return WALLET_HTTP_STATUS.get(error.code, wire_http_status(error))
