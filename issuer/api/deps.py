"""Request-scoped dependencies: database session, clock, password hasher, throttle, officer.

Everything is read from ``request.app.state``, which :func:`issuer.api.app.create_app` fills
from the settings it is given; there is no module-level state, and tests build an application
per test (or override these dependencies) instead of patching globals. The session, clock,
password hasher and client address are the services' common ones (:mod:`servicekit.deps`,
re-exported under the names the issuer has always used); the login throttle and the officer
behind a bearer token are the issuer's own.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from issuer.authz import Principal
from issuer.ratelimit import LoginThrottle
from issuer.services.officers import resolve_principal
from issuer.settings import SettingsDep
from servicekit.deps import (
    Clock,
    NowDep,
    PasswordsDep,
    SessionDep,
    client_address,
    get_now,
    get_passwords,
    get_session,
)
from wire.errors import AuthenticationRequired

__all__ = [
    "MAX_OFFSET",
    "Clock",
    "NowDep",
    "PasswordsDep",
    "PrincipalDep",
    "SessionDep",
    "ThrottleDep",
    "client_address",
    "get_now",
    "get_passwords",
    "get_principal",
    "get_session",
    "get_throttle",
]

#: Upper bound of the list routes' ``offset``: far past any real listing, far below the 64-bit
#: integers the databases take (a larger one was an unhandled OverflowError, i.e. a 500).
MAX_OFFSET: Final = 1_000_000

#: Only for the OpenAPI description ("Authorize" button); errors are raised below as problems.
_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def get_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    token: Annotated[str | None, Depends(_bearer)],
) -> Principal:
    """The officer behind the bearer token, checked against the database on every request."""
    if not token:
        raise AuthenticationRequired("a bearer token is required")
    return resolve_principal(session=session, settings=settings, token=token, now=now)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
