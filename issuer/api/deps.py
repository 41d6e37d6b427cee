"""Request-scoped dependencies: database session, clock, password hasher, throttle, officer.

Everything is read from ``request.app.state``, which :func:`issuer.api.app.create_app` fills
from the settings it is given; there is no module-level state, and tests build an application
per test (or override these dependencies) instead of patching globals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from issuer.authz import Principal
from issuer.ratelimit import LoginThrottle
from issuer.security import Passwords
from issuer.services.officers import resolve_principal
from issuer.settings import SettingsDep
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

Clock = Callable[[], datetime]

#: Upper bound of the list routes' ``offset``: far past any real listing, far below the 64-bit
#: integers the databases take (a larger one was an unhandled OverflowError, i.e. a 500).
MAX_OFFSET: Final = 1_000_000

#: Only for the OpenAPI description ("Authorize" button); errors are raised below as problems.
_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed after the route returns, rolled back if it raises.

    Declared with ``scope="function"`` (below), so the commit happens before the response is
    sent and a failed commit turns into an error response, never a false success.
    """
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now(request: Request) -> datetime:
    """The application's clock (timezone-aware UTC)."""
    clock: Clock = request.app.state.clock
    return clock()


NowDep = Annotated[datetime, Depends(get_now)]


def get_passwords(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


def get_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]


def client_address(request: Request) -> str:
    """The peer address (run uvicorn with ``--proxy-headers`` behind a trusted proxy)."""
    return request.client.host if request.client is not None else "unknown"


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
