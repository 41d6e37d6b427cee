"""RFC 9457 problem details for every error the wallet answers with.

The handlers are the services' common ones (:mod:`servicekit.errors`); the wallet's own choices
are made here: the status of a :class:`~wire.errors.PermitError` comes from
:func:`wallet_api.errors.http_status`, problems about a holder's data are ``no-store``, and
extras say what a client can act on (``issuer_error``, ``verifier_status``, besides the common
``field`` and ``Retry-After``). A database that cannot be reached, is restarting, stays locked
past the busy timeout or cancels a statement that ran or waited for a lock too long is 503
``service_unavailable`` with ``Retry-After``: the request's transaction was rolled back, so the
client may retry (docs/faults.md). Unexpected exceptions are a bare 500, logged by type only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from servicekit.errors import (
    NO_STORE,
    PROBLEM_CONTENT_TYPE,
    database_unavailable,
    install_problem_handlers,
    permit_problem,
    problem_response,
)
from wallet_api.errors import IssuerRefused, VerifierRefused, http_status
from wire.errors import PermitError

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "install_error_handlers",
    "problem_response",
]

_log = logging.getLogger(__name__)


def _permit_error(exc: PermitError) -> JSONResponse:
    extra: dict[str, Any] = {}
    if isinstance(exc, IssuerRefused):
        extra["issuer_error"] = exc.issuer_error
    if isinstance(exc, VerifierRefused):
        extra["verifier_status"] = exc.verifier_status
    return permit_problem(exc, status=http_status(exc), logger=_log, headers=NO_STORE, **extra)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    install_problem_handlers(
        app,
        permit_error=_permit_error,
        logger=_log,
        unavailable=[database_unavailable()],
        unavailable_headers=NO_STORE,
    )
