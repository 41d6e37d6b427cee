"""RFC 9457 problem responses: the exception handlers every service installs.

The issuer, the wallet and the verifier answer every error the same way: a
:class:`~wire.errors.PermitError` becomes ``application/problem+json`` with its stable ``code``
(``field`` for :class:`~wire.errors.InvalidInput`, ``Retry-After`` for a 429 and for a 503
``service_unavailable``, ``WWW-Authenticate: Bearer`` for a 401); request validation errors
become 422 problems naming the field as the client spelled it, never the value; routing errors
are problems too; a backing store that is away (the database, Redis) is 503
``service_unavailable`` with ``Retry-After``, logged by exception type only; anything else is a
bare 500 logged by type only. No stack trace, token or personal data leaves the process or
reaches the logs through these handlers (CONVENTIONS §3–§4).

What differs per service stays with the service: its code-to-status map, its extra members
and headers (the issuer's TOTP challenge, the wallet's ``issuer_error``), whether problems are
``no-store``, and which errors mean "a backing store is away" (:class:`Unavailable`). This
module imports no SQLAlchemy: the verifier, which has no database, uses it as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wire.errors import AuthenticationRequired, InvalidInput, PermitError, RateLimited
from wire.errors import ServiceUnavailable as ServiceUnavailableError
from wire.problem import PROBLEM_CONTENT_TYPE, http_problem, problem_body, validation_problem

__all__ = [
    "NO_STORE",
    "PROBLEM_CONTENT_TYPE",
    "RETRY_AFTER_SECONDS",
    "Unavailable",
    "database_unavailable",
    "install_problem_handlers",
    "permit_problem",
    "problem_response",
    "unavailable_response",
]

#: Seconds a client should wait before retrying a 503: one value for every service and cause.
RETRY_AFTER_SECONDS: Final = 5
#: For answers that must not be cached (they may concern a holder's own data).
NO_STORE: Final[Mapping[str, str]] = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Exceptions meaning a backing store is away right now, and what the 503 says about it."""

    #: The exception types (matched with their subclasses).
    errors: tuple[type[Exception], ...]
    #: The problem's ``detail``: fixed text, never the exception's message (it names hosts).
    detail: str
    #: What is away, for the log line ("database", "redis").
    what: str


def database_unavailable() -> Unavailable:
    """The database being away, for the services that have one: the SQLAlchemy errors of
    :data:`servicekit.db.DATABASE_UNAVAILABLE`, answered "the database is unavailable"."""
    # Imported here: the verifier uses this module and has no database stack to load.
    from servicekit.db import DATABASE_UNAVAILABLE

    return Unavailable(
        DATABASE_UNAVAILABLE, detail="the database is unavailable; retry shortly", what="database"
    )


def problem_response(
    *, status: int, code: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response (:func:`wire.problem.problem_body`)."""
    body = problem_body(status=status, code=code, detail=detail, **extra)
    return JSONResponse(
        body,
        status_code=status,
        headers=dict(headers) if headers else None,
        media_type=PROBLEM_CONTENT_TYPE,
    )


def permit_problem(
    exc: PermitError,
    *,
    status: int,
    logger: logging.Logger,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The problem for ``exc`` answered with ``status`` (the service's own map decides it).

    Adds what every service adds: ``field`` for invalid input, ``Retry-After`` for rate
    limiting (the error's own) and for a 503 ``service_unavailable``, and the ``Bearer``
    challenge for a 401 unless ``headers`` bring a more specific one. Server-side failures are
    logged by code only.
    """
    merged = dict(headers or {})
    members = dict(extra)
    if isinstance(exc, InvalidInput) and exc.field:
        members["field"] = exc.field
    if isinstance(exc, RateLimited):
        merged["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, ServiceUnavailableError):
        merged.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    if isinstance(exc, AuthenticationRequired):
        merged.setdefault("WWW-Authenticate", "Bearer")
    if status >= 500:
        logger.error("request failed: %s", exc.code)
    return problem_response(
        status=status, code=exc.code, detail=exc.message, headers=merged, **members
    )


def unavailable_response(detail: str, *, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """503 ``service_unavailable`` with ``Retry-After``: nothing was done, retry shortly."""
    return problem_response(
        status=503,
        code=ServiceUnavailableError.code,
        detail=detail,
        headers={**(headers or {}), "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_problem_handlers(
    app: FastAPI,
    *,
    permit_error: Callable[[PermitError], JSONResponse],
    logger: logging.Logger,
    unavailable: Iterable[Unavailable] = (),
    unavailable_headers: Mapping[str, str] | None = None,
) -> None:
    """Register the handlers on ``app``: ``permit_error`` answers every
    :class:`~wire.errors.PermitError` (usually through :func:`permit_problem`); the rest is
    common. Starlette picks the handler of the most specific class in an exception's MRO, so a
    service may add handlers for :class:`PermitError` subclasses afterwards."""

    def on_permit_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PermitError)
        return permit_error(exc)

    def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled %s", type(exc).__name__)
        return problem_response(status=500, code="internal_error", detail="internal error")

    app.add_exception_handler(PermitError, on_permit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for outage in unavailable:
        handler = _unavailable_handler(outage, logger, unavailable_headers)
        for error in outage.errors:
            app.add_exception_handler(error, handler)
    app.add_exception_handler(Exception, on_unexpected)


def _unavailable_handler(
    outage: Unavailable, logger: logging.Logger, headers: Mapping[str, str] | None
) -> Callable[[Request, Exception], JSONResponse]:
    def on_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # The type only: the message names the host, and the statement, whatever
        # hide_parameters.
        logger.error("%s unavailable: %s", outage.what, type(exc).__name__)
        return unavailable_response(outage.detail, headers=headers)

    return on_unavailable


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
