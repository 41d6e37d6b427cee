"""RFC 9457 problem details for every error the issuer answers with.

The handlers are the services' common ones (:mod:`servicekit.errors`); what is the issuer's
own is decided here: the status of a :class:`~wire.errors.PermitError` comes from
:func:`wire.errors.http_status` (the one code-to-status map), a session without its TOTP second
factor gets the RFC 9470 step-up challenge, and the OpenID4VCI endpoints answer in OAuth's own
error shape instead of problem+json. A database that cannot be reached, is restarting, stays
locked past the busy timeout or cancels a statement that ran or waited for a lock too long
answers 503 ``service_unavailable`` with ``Retry-After``: the request's transaction was rolled
back, so the client may simply retry (docs/faults.md). Unexpected exceptions answer a bare 500
and are logged by type only.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from issuer.authz import SecondFactorRequired
from servicekit.errors import (
    PROBLEM_CONTENT_TYPE,
    database_unavailable,
    install_problem_handlers,
    permit_problem,
    problem_response,
)
from wire.errors import PermitError, http_status
from wire.oid4vci import Oid4vciError
from wire.problem import title

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "install_error_handlers",
    "oauth_error_response",
    "oauth_error_responses",
    "problem_response",
]

_log = logging.getLogger(__name__)

_STEP_UP: Final = {
    "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
    'error_description="a TOTP second factor is required"'
}


def _permit_error(exc: PermitError) -> JSONResponse:
    headers = _STEP_UP if isinstance(exc, SecondFactorRequired) else None
    return permit_problem(exc, status=http_status(exc), logger=_log, headers=headers)


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


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    install_problem_handlers(
        app, permit_error=_permit_error, logger=_log, unavailable=[database_unavailable()]
    )
    # More specific than PermitError: the OpenID4VCI endpoints answer in OAuth's own shape.
    app.add_exception_handler(Oid4vciError, _oauth_error)
