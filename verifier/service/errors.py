"""Errors of the verifier service and their RFC 9457 problem responses.

Rejected presentations are not HTTP errors: ``POST /v1/verify`` answers 200 with the DESIGN §6
result. What is an error — bad input (422), a wrong account key (401), a profile the account
may not use (403), a verifier-bound profile without a request (409), an image that holds no QR
code (422) or is too large (413), an unusable trust list or replay cache (503) — becomes
``application/problem+json`` with a stable ``code``. Submitted values are never echoed and
unexpected exceptions are logged by type only (CONVENTIONS §3–§4).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wire.errors import (
    HTTP_STATUS,
    AuthenticationRequired,
    Conflict,
    InvalidInput,
    PermitError,
    ServiceUnavailable,
)
from wire.problem import (
    PROBLEM_CONTENT_TYPE,
    http_problem,
    problem_body,
    validation_problem,
)

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "BodyTooLarge",
    "VerifierBoundProfile",
    "http_status",
    "install_error_handlers",
    "problem_response",
]

_log = logging.getLogger(__name__)
#: Seconds a client should wait before retrying after a 503 for Redis (replay cache, request
#: store): the same header as the issuer's and the wallet's database 503s (docs/faults.md).
RETRY_AFTER_SECONDS: Final = 5


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


def problem_response(
    *, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response (:func:`wire.problem.problem_body`)."""
    body = problem_body(status=status, code=code, detail=detail, **extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _permit_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PermitError)
    status = http_status(exc)
    headers = {"Cache-Control": "no-store"}
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput) and exc.field:
        extra["field"] = exc.field
    if isinstance(exc, AuthenticationRequired):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, ServiceUnavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if status >= 500:
        _log.error("request failed: %s", exc.code)
    return problem_response(
        status=status, code=exc.code, detail=exc.message, headers=headers, **extra
    )


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        validation_problem(exc.errors()), status_code=422, media_type=PROBLEM_CONTENT_TYPE
    )


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        http_problem(exc.status_code, exc.detail),
        status_code=exc.status_code,
        headers=dict(exc.headers) if exc.headers else None,
        media_type=PROBLEM_CONTENT_TYPE,
    )


def _redis_error(_request: Request, exc: Exception) -> JSONResponse:
    """The shared replay cache or request store is unreachable: fail closed (503)."""
    _log.error("redis unavailable: %s", type(exc).__name__)
    return problem_response(
        status=503,
        code="service_unavailable",
        detail="the shared cache is unavailable",
        headers={"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    _log.error("unhandled %s", type(exc).__name__)
    return problem_response(status=500, code="internal_error", detail="internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PermitError, _permit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(redis.RedisError, _redis_error)
    app.add_exception_handler(Exception, _unexpected)
