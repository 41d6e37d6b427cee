"""Errors of the verifier service and their RFC 9457 problem responses.

Rejected presentations are not HTTP errors: ``POST /v1/verify`` answers 200 with the DESIGN §6
result. What is an error — bad input (422), a wrong account key (401), a profile the account
may not use (403), a verifier-bound profile without a request (409), an image that holds no QR
code (422) or is too large (413), an unusable trust list or replay cache (503) — becomes
``application/problem+json`` with a stable ``code`` through the services' common handlers
(:mod:`servicekit.errors`); the code-to-status map below is the verifier's own. Every problem
is ``no-store``, every 503 carries ``Retry-After``. Submitted values are never echoed and
unexpected exceptions are logged by type only (CONVENTIONS §3–§4).
"""

from __future__ import annotations

import logging
from typing import Final

import redis
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from servicekit.errors import (
    NO_STORE,
    PROBLEM_CONTENT_TYPE,
    RETRY_AFTER_SECONDS,
    Unavailable,
    install_problem_handlers,
    permit_problem,
    problem_response,
)
from wire.errors import HTTP_STATUS, Conflict, PermitError

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "RETRY_AFTER_SECONDS",
    "BodyTooLarge",
    "VerifierBoundProfile",
    "http_status",
    "install_error_handlers",
    "problem_response",
]

_log = logging.getLogger(__name__)
#: The shared replay cache or request store is unreachable: fail closed (503), as the issuer's
#: and the wallet's database 503s (docs/faults.md).
_REDIS: Final = Unavailable(
    (redis.RedisError,), detail="the shared cache is unavailable", what="redis"
)


class VerifierBoundProfile(Conflict):
    """DESIGN §3: bank, hospital and agency accept only answers to their own requests."""

    code = "verifier_bound_profile"
    default_message = "this profile accepts only answers to a verifier request (POST /v1/requests)"


class BodyTooLarge(PermitError):
    code = "payload_too_large"
    default_message = "request body is too large"


_STATUS: Final = {
    **HTTP_STATUS,
    "verifier_bound_profile": 409,
    "qr_not_found": 422,
    "qr_unreadable": 422,
    "image_too_large": 413,
    "trust_list_expired": 503,
}


def http_status(error: PermitError) -> int:
    return _STATUS.get(error.code, 500)


def _permit_error(exc: PermitError) -> JSONResponse:
    return permit_problem(exc, status=http_status(exc), logger=_log, headers=NO_STORE)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    install_problem_handlers(
        app,
        permit_error=_permit_error,
        logger=_log,
        unavailable=[_REDIS],
        unavailable_headers=NO_STORE,
    )
