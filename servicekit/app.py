"""The application shell each service builds its routes into: ``service_app(settings, ...)``.

The issuer, the wallet and the verifier assemble their FastAPI apps the same way, and the
details matter enough to live once:

- one version and, at the app level of the OpenAPI document, the problem responses any route
  may answer (an unreadable body, invalid input, a backing store that is away), next to the
  handlers that produce them (the service's ``install_error_handlers``), installed on every app;
- the settings on ``app.state``: request dependencies read them from there, never from module
  globals (CONVENTIONS §10), so tests build one app per test with their own;
- a lifespan that runs the service's own work while it serves (the issuer's batch worker and
  status publisher, the verifier's refresh tasks) and, after that work has stopped, closes what
  the factory created itself (:class:`Owned`) — never what the caller injected (a shared
  engine, a test's HTTP client), whose owner closes it.

What is each service's own stays with it: its title, which problems it declares, its routes,
its middleware (added after this, so their order is the service's), what it keeps on
``app.state`` besides the settings. No SQLAlchemy import: the verifier, which has no database,
uses it as well.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from typing import Any, Final, TypeVar

from fastapi import FastAPI

from servicekit.settings import ServiceSettings

__all__ = ["SERVICE_VERSION", "Owned", "Running", "service_app"]

#: The version every service states in its OpenAPI document.
SERVICE_VERSION: Final = "0.1.0"

#: The service's own work while the app serves: entered at start-up, left at shutdown.
Running = Callable[[FastAPI], AbstractAsyncContextManager[None]]

_T = TypeVar("_T")


class Owned:
    """What an app factory created itself, and so closes when the app shuts down."""

    def __init__(self) -> None:
        self._closers: list[Callable[[], object]] = []

    def adopt(self, resource: _T, close: Callable[[_T], object]) -> _T:
        """Keep ``resource``, made by the factory, to be closed with ``close`` at shutdown."""
        self._closers.append(functools.partial(close, resource))
        return resource

    def close(self) -> None:
        """Close everything adopted, the last adopted first, each one even if an earlier one
        raised (that error propagates). Nothing is forgotten: an app started again (a second
        ``TestClient``) closes the same resources again at its next shutdown, as an engine's
        ``dispose`` allows."""
        with ExitStack() as stack:
            for close in self._closers:
                stack.callback(close)


def service_app(
    settings: ServiceSettings,
    *,
    title: str,
    responses: Mapping[int | str, dict[str, Any]],
    install_error_handlers: Callable[[FastAPI], None],
    owned: Owned,
    running: Running | None = None,
    **options: Any,
) -> FastAPI:
    """A service's FastAPI app, before its routes (see the module docstring).

    ``responses`` are what any route may answer (:func:`wire.problem.problem_responses`);
    ``install_error_handlers`` registers the service's handlers that answer them. ``running``
    is the service's work while it serves; ``owned`` is closed at shutdown after ``running``
    has been left, so no worker still uses a closed engine or client. ``options`` are further
    :class:`~fastapi.FastAPI` arguments (the verifier's ``telemetry``).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if running is None:
                yield
            else:
                async with running(app):
                    yield
        finally:
            owned.close()

    app = FastAPI(
        title=title,
        version=SERVICE_VERSION,
        lifespan=lifespan,
        responses=dict(responses),
        **options,
    )
    app.state.settings = settings
    install_error_handlers(app)
    return app
