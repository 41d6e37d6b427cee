"""The verifier tests' worlds (``world`` for the CLI, ``federation`` for the service), built
on a status server behind a cuttable proxy: ``status_server`` is overridden here, so every
status URI the credentials and trust lists name goes through the proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.proxy import cuttable_proxy
from tests.faults.verifier.status_faults import StatusFaults, serve_status
from tests.verifier.conftest import StatusServer, world
from tests.verifier.service.conftest import federation

# Re-exported: pytest finds fixtures by name in this module.
__all__ = ["federation", "status_faults", "status_server", "world"]


@pytest.fixture
def status_faults() -> Iterator[StatusFaults]:
    state = StatusServer()
    with serve_status(state) as base:
        host, port = base.removeprefix("http://").rstrip("/").split(":")
        with cuttable_proxy((host, int(port))) as proxy:
            yield StatusFaults(state, proxy)


@pytest.fixture
def status_server(status_faults: StatusFaults) -> StatusServer:
    """The recorded server, addressed through the proxy."""
    state = status_faults.server
    return StatusServer(
        routes=state.routes,
        requests=state.requests,
        base=f"http://127.0.0.1:{status_faults.proxy.port}/",
    )
