"""RFC 9457 problem details for every error the wallet answers with.

One handler turns a :class:`~wire.errors.PermitError` into ``application/problem+json`` with
the status from :func:`wallet_api.errors.http_status` and the error's stable ``code``; extras
say what a client can act on (``field``, ``issuer_error``, ``verifier_status``, and
``Retry-After`` on 429). Request validation errors name the field, never the submitted value.
A database that cannot be reached, is restarting or stays locked past the busy timeout is 503
``service_unavailable`` with ``Retry-After``: the request's transaction was rolled back, so the
client may retry (docs/faults.md). Unexpected exceptions are a bare 500, logged by type only.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as db_errors
from starlette.exceptions import HTTPException as StarletteHTTPException

from wallet_api.errors import IssuerRefused, VerifierRefused, http_status
from wire.errors import (
    AuthenticationRequired,
    InvalidInput,
    PermitError,
    RateLimited,
    ServiceUnavailable,
)
from wire.problem import (
    PROBLEM_CONTENT_TYPE,
    http_problem,
    problem_body,
    validation_problem,
)

__all__ = [
    "DATABASE_RETRY_AFTER",
    "DATABASE_UNAVAILABLE",
    "PROBLEM_CONTENT_TYPE",
    "install_error_handlers",
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
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput) and exc.field:
        extra["field"] = exc.field
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, AuthenticationRequired):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, IssuerRefused):
        extra["issuer_error"] = exc.issuer_error
    if isinstance(exc, VerifierRefused):
        extra["verifier_status"] = exc.verifier_status
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


def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    # The type only: the message names the host, and the statement, whatever hide_parameters.
    _log.error("database unavailable: %s", type(exc).__name__)
    return problem_response(
        status=503,
        code=ServiceUnavailable.code,
        detail="the database is unavailable; retry shortly",
        headers={"Cache-Control": "no-store", "Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    _log.error("unhandled %s", type(exc).__name__)
    return problem_response(status=500, code="internal_error", detail="internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PermitError, _permit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
