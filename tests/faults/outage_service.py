"""A service app whose database sits behind the outage switch of :mod:`tests.faults.outage`,
and the checks its outage tests share, for the issuer and the wallet alike.

A service module only says how to build its app on a database URL (an :data:`AppOn`); what
happens around it (the switch, the test client, disposing the engine) is the same for both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.faults.outage import DatabaseOutage, database_outage

__all__ = [
    "AppOn",
    "Service",
    "check_connect_timeouts",
    "service_through_outage",
    "serving",
]

#: Builds a service on a database URL: the engine it uses and the app on that engine.
AppOn = Callable[[str], tuple[Engine, FastAPI]]


@dataclass
class Service:
    """A service app, on the database through the outage switch."""

    client: TestClient
    engine: Engine
    outage: DatabaseOutage


@contextlib.contextmanager
def serving(engine: Engine, app: FastAPI) -> Iterator[TestClient]:
    """A client of the started app; the engine is disposed afterwards."""
    try:
        with TestClient(app) as client:
            yield client
    finally:
        engine.dispose()


@contextlib.contextmanager
def service_through_outage(db_url: str, app_on: AppOn) -> Iterator[Service]:
    """The service built by ``app_on`` on the test's database, reached through the switch."""
    with database_outage(db_url) as outage:
        engine, app = app_on(outage.url)
        with serving(engine, app) as client:
            yield Service(client, engine, outage)


def check_connect_timeouts(url: str, engine_for: Callable[[str], Engine], default: object) -> None:
    """Connections to the PostgreSQL ``url`` carry ``default`` as ``connect_timeout``, unless
    the URL sets its own: a database that never answers must not hang a request."""
    for connect_url, expected in ((url, default), (f"{url}&connect_timeout=3", "3")):
        engine = engine_for(connect_url)
        seen: list[object] = []

        @event.listens_for(engine, "do_connect")
        def _record(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
            seen.append(params.get("connect_timeout"))  # noqa: B023 - used before the next loop

        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
        assert seen == [expected]
