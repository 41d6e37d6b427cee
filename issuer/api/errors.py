"""RFC 9457 problem details for every error the issuer answers with.

One handler turns a :class:`~wire.errors.PermitError` into ``application/problem+json`` with
the status from :func:`wire.errors.http_status` (the one code-to-status map) and the error's
stable ``code``; :class:`~wire.errors.InvalidInput` adds ``field``. Request validation errors
become 422 problems naming the field as the client spelled it (``facts.residence_months``),
without echoing the submitted value. A database that cannot be reached, is restarting or
stays locked past the busy timeout answers 503 ``service_unavailable`` with ``Retry-After``:
the request's transaction was rolled back, so the client may simply retry (docs/faults.md).
Unexpected exceptions answer a bare 500 and are logged by type only: no stack trace, token or
personal data leaves the process or reaches the logs through this path.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as db_errors
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer.authz import SecondFactorRequired
from wire.errors import (
    AuthenticationRequired,
    InvalidInput,
    PermitError,
    RateLimited,
    ServiceUnavailable,
    http_status,
)
from wire.oid4vci import Oid4vciError
from wire.problem import (
    PROBLEM_CONTENT_TYPE,
    http_problem,
    problem_body,
    title,
    validation_problem,
)

__all__ = [
    "DATABASE_RETRY_AFTER",
    "DATABASE_UNAVAILABLE",
    "PROBLEM_CONTENT_TYPE",
    "install_error_handlers",
    "oauth_error_response",
    "oauth_error_responses",
    "problem_response",
]

_log = logging.getLogger(__name__)

#: SQLAlchemy's errors for "the database is not there right now" rather than "this request is
#: wrong": unreachable or restarting server, a connection lost mid-transaction, an exhausted
#: pool, SQLite's write lock still taken after the busy timeout.
DATABASE_UNAVAILABLE: Final = (
    db_errors.OperationalError,
    db_errors.DisconnectionError,
    db_errors.TimeoutError,
)
#: Seconds a client should wait before retrying after a 503 for the database.
DATABASE_RETRY_AFTER: Final = 5


def problem_response(
    *, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response (:func:`wire.problem.problem_body`)."""
    body = problem_body(status=status, code=code, detail=detail, **extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _permit_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PermitError)
    status = http_status(exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput) and exc.field:
        extra["field"] = exc.field
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, SecondFactorRequired):
        headers["WWW-Authenticate"] = (
            'Bearer error="insufficient_user_authentication", '
            'error_description="a TOTP second factor is required"'
        )
    elif isinstance(exc, AuthenticationRequired):
        headers["WWW-Authenticate"] = "Bearer"
    if status >= 500:
        _log.error("request failed: %s", exc.code)
    return problem_response(
        status=status, code=exc.code, detail=exc.message, headers=headers or None, **extra
    )


def oauth_error_response(exc: Oid4vciError) -> JSONResponse:
    """An OAuth 2.0 / OpenID4VCI error: ``{"error", "error_description"}``, not problem+json
    (RFC 6749 §5.2, OpenID4VCI 1.0 §8.3.1), with the error's own status and headers."""
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=exc.headers())


def oauth_error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI response objects (``responses=``) for OAuth errors answered with these statuses."""
    schema = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    }
    return {
        status: {"description": title(status), "content": {"application/json": {"schema": schema}}}
        for status in statuses
    }


def _oauth_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Oid4vciError)
    return oauth_error_response(exc)


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


def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    # The type only: the message names the host, and the statement, whatever hide_parameters.
    _log.error("database unavailable: %s", type(exc).__name__)
    return problem_response(
        status=503,
        code=ServiceUnavailable.code,
        detail="the database is unavailable; retry shortly",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    _log.error("unhandled %s", type(exc).__name__)
    return problem_response(status=500, code="internal_error", detail="internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(PermitError, _permit_error)
    # More specific than PermitError: the OpenID4VCI endpoints answer in OAuth's own shape.
    app.add_exception_handler(Oid4vciError, _oauth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
