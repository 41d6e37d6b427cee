"""The issuer application factory: ``create_app(settings) -> FastAPI``.

Everything a request needs (engine, clock, password hasher, login throttle) is built here from
the settings and kept on ``app.state``; nothing lives in module globals. The shell — version,
app-wide problem responses, error handlers, a lifespan that closes what the app created — is
the services' common one (:mod:`servicekit.app`). Run it with
``uvicorn --factory issuer.api.app:create_app_from_env`` (or ``permit serve issuer``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from issuer.api import (
    applications,
    auth,
    batches,
    eligibility,
    offers,
    oid4vci,
    paper,
    permits,
    status,
)
from issuer.api.deps import Clock
from issuer.api.errors import install_error_handlers
from issuer.db import create_engine_for, utcnow
from issuer.publisher import StatusPublisher
from issuer.ratelimit import FailureStore, LoginThrottle, MemoryFailureStore
from issuer.security import Passwords
from issuer.settings import IssuerSettings
from issuer.signing import load_signing_ring
from issuer.worker import BatchWorker
from keys.ring import KeyRing
from servicekit.app import Owned, service_app
from servicekit.deps import install_request_state
from wire.problem import problem_responses

__all__ = ["create_app", "create_app_from_env"]


def create_app(
    settings: IssuerSettings,
    *,
    engine: Engine | None = None,
    clock: Clock = utcnow,
    failure_store: FailureStore | None = None,
    ring: KeyRing | None = None,
) -> FastAPI:
    """Build the issuer service.

    ``engine`` lets a caller share one engine (tests, a process running several apps); when it
    is omitted the app creates its own from ``settings.database_url`` and disposes of it at
    shutdown. ``clock`` must return timezone-aware datetimes. ``ring`` is the credential-signing
    key ring; by default it is loaded as the settings say (:mod:`issuer.signing`).
    """
    owned = Owned()
    db = engine if engine is not None else owned.adopt(create_engine_for(settings), Engine.dispose)
    app = service_app(
        settings,
        title="Residence permit issuer",
        # Any route: an unreadable body, invalid input, the database unavailable.
        responses=problem_responses(400, 422, 503),
        install_error_handlers=install_error_handlers,
        owned=owned,
        running=_background_work,
    )
    install_request_state(app, engine=db, clock=clock, passwords=Passwords(settings))
    app.state.login_throttle = LoginThrottle(
        failure_store if failure_store is not None else MemoryFailureStore(),
        max_failures=settings.login_max_failures,
        window=timedelta(seconds=settings.login_window_seconds),
    )
    app.state.batch_worker = BatchWorker(engine=db, settings=settings, clock=clock)
    app.state.signing_ring = ring if ring is not None else load_signing_ring(settings)
    app.state.status_publisher = StatusPublisher(
        engine=db, ring=app.state.signing_ring, settings=settings, clock=clock
    )
    # What each router's errors answer (the OpenAPI document; tests/api_fuzz checks the wire).
    officer = problem_responses(401, 403, 404, 409)
    app.include_router(auth.router, responses=problem_responses(401, 429))
    app.include_router(eligibility.router)
    app.include_router(applications.router, responses=officer)
    app.include_router(batches.router, responses={**officer, **problem_responses(413, 415)})
    app.include_router(offers.router, responses=officer)
    app.include_router(oid4vci.build_router(settings))  # OAuth errors: declared per route
    app.include_router(paper.build_router(settings))
    app.include_router(status.router, responses=problem_responses(404))
    app.include_router(permits.router, responses=officer)
    return app


@asynccontextmanager
async def _background_work(app: FastAPI) -> AsyncIterator[None]:
    """The batch worker and the status publisher, while the app serves.

    Read from ``app.state``, so a test can swap in a worker with a row hook before start-up.
    """
    worker: BatchWorker = app.state.batch_worker
    worker.start()  # resumes unfinished batches first
    publisher: StatusPublisher = app.state.status_publisher
    publisher.start()
    try:
        yield
    finally:
        publisher.stop()
        worker.stop()


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from the environment."""
    return create_app(IssuerSettings.load())
