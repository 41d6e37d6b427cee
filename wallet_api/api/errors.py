"""RFC 9457 problem details for every error the wallet answers with.

One handler turns a :class:`~wire.errors.PermitError` into ``application/problem+json`` with
the status from :func:`wallet_api.errors.http_status` and the error's stable ``code``; extras
say what a client can act on (``field``, ``issuer_error``, ``verifier_status``, and
``Retry-After`` on 429). Request validation errors name the field, never the submitted value.
Unexpected exceptions are a bare 500, logged by type only.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wallet_api.errors import IssuerRefused, VerifierRefused, http_status
from wire.errors import AuthenticationRequired, InvalidInput, PermitError, RateLimited

__all__ = ["PROBLEM_CONTENT_TYPE", "install_error_handlers", "problem_response"]

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
_TYPE_PREFIX: Final = "urn:residence-permit:problem:"
_log = logging.getLogger(__name__)
_TITLES: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_HTTP_CODES: Final = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}


def problem_response(
    *, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": _TYPE_PREFIX + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
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


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc
    name = ".".join(str(part) for part in parts) or "body"
    return name if len(name) <= 64 else name[:64] + "…"


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_name(tuple(err.get("loc", ()))),
            "message": str(err.get("msg", "")).removeprefix("Value error, "),
        }
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    return problem_response(
        status=422,
        code=InvalidInput.code,
        detail=f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
    return problem_response(
        status=exc.status_code,
        code=code,
        detail=detail,
        headers=dict(exc.headers) if exc.headers else None,
    )


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    _log.error("unhandled %s", type(exc).__name__)
    return problem_response(status=500, code="internal_error", detail="internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PermitError, _permit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
