"""Request dependencies, all read from ``request.app.state`` (filled by ``create_app``).

No module-level state: tests build one app per test with their own settings and clock. A route
takes one dependency, :data:`CallerDep` (who asks, and when) or :data:`AccountCallerDep` (an
account is required), resolved in one step: FastAPI's dependency solving costs more per level
than the verification itself is worth on the hot path, and a plain function would be run in a
worker thread. The account comes from ``Authorization: Bearer <account key>``; open profiles
may be used without one when the deployment allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from verifier.service.accounts import Account
from verifier.service.core import VerifierService
from wire.errors import AuthenticationRequired

__all__ = [
    "AccountCaller",
    "AccountCallerDep",
    "Caller",
    "CallerDep",
    "ServiceDep",
    "caller_for",
]


@dataclass(frozen=True, slots=True)
class Caller:
    """The service, the caller's account (None: anonymous) and the request time."""

    service: VerifierService
    account: Account | None
    now: int


@dataclass(frozen=True, slots=True)
class AccountCaller:
    service: VerifierService
    account: Account
    now: int


async def _service(request: Request) -> VerifierService:
    service: VerifierService = request.app.state.service
    return service


ServiceDep = Annotated[VerifierService, Depends(_service)]


async def caller_for(request: Request) -> Caller:
    """Who asks (``Authorization: Bearer``), through which service, at what time."""
    service: VerifierService = request.app.state.service
    account = service.authenticate(request.headers.get("authorization"))
    return Caller(service, account, service.clock())


CallerDep = Annotated[Caller, Depends(caller_for)]


#: Declares the account key in the OpenAPI document; :func:`caller_for` does the checking.
_account_key = HTTPBearer(
    scheme_name="AccountKey",
    description="A verifier account key (docs/verifier.md, section Accounts).",
    auto_error=False,
)


async def _account_caller(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_account_key)],
) -> AccountCaller:
    caller = await caller_for(request)
    if caller.account is None:
        raise AuthenticationRequired("an account key is required")
    return AccountCaller(caller.service, caller.account, caller.now)


AccountCallerDep = Annotated[AccountCaller, Depends(_account_caller)]
