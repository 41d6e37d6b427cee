"""The application shell: what every service's app has, and what its lifespan closes when."""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from servicekit.app import SERVICE_VERSION, Owned, service_app
from servicekit.errors import install_problem_handlers, permit_problem
from servicekit.settings import ServiceSettings
from wire.errors import Conflict, PermitError, http_status
from wire.problem import PROBLEM_CONTENT_TYPE, problem_responses

with warnings.catch_warnings():
    # Starlette 1.x warns once, at import, when its TestClient falls back to httpx (installed).
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=Warning
    )
    from fastapi.testclient import TestClient

_log = logging.getLogger(__name__)


class Resource:
    """Something a factory may create (an engine, a client) that records when it is closed."""

    def __init__(self, name: str, events: list[str]) -> None:
        self.name = name
        self.events = events

    def close(self) -> None:
        self.events.append(f"close {self.name}")


class Broken(Resource):
    def close(self) -> None:
        super().close()
        raise OSError("close failed")


def install_handlers(app: FastAPI) -> None:
    def answer(exc: PermitError) -> JSONResponse:
        return permit_problem(exc, status=http_status(exc), logger=_log)

    install_problem_handlers(app, permit_error=answer, logger=_log)


def settings() -> ServiceSettings:
    return ServiceSettings.model_validate({"environment": "test"})


def test_the_app_declares_the_problems_and_answers_them() -> None:
    app = service_app(
        settings(),
        title="Example service",
        responses=problem_responses(400, 422, 503),
        install_error_handlers=install_handlers,
        owned=Owned(),
    )

    @app.get("/conflict")
    def conflict() -> None:
        raise Conflict("taken")

    document = app.openapi()
    assert document["info"] == {"title": "Example service", "version": SERVICE_VERSION}
    declared = document["paths"]["/conflict"]["get"]["responses"]
    assert {"400", "422", "503"} <= set(declared)
    assert PROBLEM_CONTENT_TYPE in declared["503"]["content"]
    with TestClient(app) as client:
        answer = client.get("/conflict")
    assert answer.status_code == 409
    assert answer.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert answer.json()["code"] == "conflict"


def test_settings_and_fastapi_options_reach_the_app() -> None:
    given = settings()
    app = service_app(
        given,
        title="Example service",
        responses={},
        install_error_handlers=install_handlers,
        owned=Owned(),
        docs_url=None,
    )
    assert app.state.settings is given
    assert app.docs_url is None
    assert app.user_middleware == []  # nothing added: the service's own order stands


def test_shutdown_stops_the_work_first_then_closes_what_the_app_created() -> None:
    events: list[str] = []
    owned = Owned()
    engine = owned.adopt(Resource("engine", events), Resource.close)
    client = owned.adopt(Resource("client", events), Resource.close)
    injected = Resource("injected", events)  # the caller's: never closed by the app

    @asynccontextmanager
    async def running(app: FastAPI) -> AsyncIterator[None]:
        events.append(f"start {app.title}")
        try:
            yield
        finally:
            events.append("stop")

    app = service_app(
        settings(),
        title="worker",
        responses={},
        install_error_handlers=install_handlers,
        owned=owned,
        running=running,
    )
    app.state.engine, app.state.client, app.state.injected = engine, client, injected
    with TestClient(app):
        assert events == ["start worker"]
    assert events == ["start worker", "stop", "close client", "close engine"]


def test_a_second_start_closes_again_and_a_failing_close_stops_no_other() -> None:
    events: list[str] = []
    owned = Owned()
    owned.adopt(Resource("engine", events), Resource.close)
    owned.adopt(Broken("client", events), Broken.close)
    app = service_app(
        settings(),
        title="no work",
        responses={},
        install_error_handlers=install_handlers,
        owned=owned,
    )
    for _ in range(2):
        with pytest.raises(OSError, match="close failed"), TestClient(app):
            pass
    assert events == ["close client", "close engine"] * 2


def test_owned_close_before_the_app_exists() -> None:
    """A factory that fails half-way (bad configuration) closes what it made so far."""
    events: list[str] = []
    owned = Owned()
    owned.adopt(Resource("client", events), Resource.close)
    owned.close()
    assert events == ["close client"]
    assert Owned().adopt(42, lambda _value: None) == 42
