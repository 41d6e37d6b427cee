"""Request dependencies of the services with a database and password logins (issuer, wallet).

Both keep the same three things on ``app.state`` — the engine, the clock, the password hasher —
and their routes need the same things from them: a transaction per request, the request's
time, the hasher, the caller's address. :func:`install_request_state` writes those keys and the
dependencies below read them, so writer and readers cannot disagree on a name. Nothing is held
in module globals: tests build one app per test with their own engine and clock.

What is each service's own — the issuer's officer tokens and login throttle, the wallet's
session tokens, vault and outbound client — stays in its ``api/deps.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from servicekit.db import session_scope
from servicekit.passwords import Passwords

__all__ = [
    "Clock",
    "EngineDep",
    "NowDep",
    "PasswordsDep",
    "SessionDep",
    "client_address",
    "get_engine",
    "get_now",
    "get_passwords",
    "get_session",
    "install_request_state",
]

#: The services' clock: returns timezone-aware datetimes (CONVENTIONS §5).
Clock = Callable[[], datetime]


def install_request_state(
    app: FastAPI, *, engine: Engine, clock: Clock, passwords: Passwords
) -> None:
    """Keep on ``app.state`` what the dependencies of this module read."""
    app.state.engine = engine
    app.state.clock = clock
    app.state.passwords = passwords


def get_engine(request: Request) -> Engine:
    """The app's engine, for a route that runs transactions of its own (one that waits on the
    network between them must not hold one open: on SQLite it would hold the write lock)."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed after the route returns, rolled back if it raises.

    Declared with ``scope="function"`` (below), so the commit happens before the response is
    sent and a failed commit turns into an error response, never a false success.
    """
    with session_scope(get_engine(request)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now(request: Request) -> datetime:
    """The application's clock (timezone-aware UTC)."""
    clock: Clock = request.app.state.clock
    return clock()


NowDep = Annotated[datetime, Depends(get_now)]


def get_passwords(request: Request) -> Passwords:
    """The app's password hasher (built once: it hashes its dummy at construction)."""
    passwords: Passwords = request.app.state.passwords
    return passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


def client_address(request: Request) -> str:
    """The peer address (run uvicorn with ``--proxy-headers`` behind a trusted proxy)."""
    return request.client.host if request.client is not None else "unknown"
