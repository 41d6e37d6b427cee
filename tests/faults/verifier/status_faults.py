"""A status-list server that can fail in each way a real one does, and the failure matrix.

The loopback server of the verifier tests (:func:`tests.verifier.conftest.serve_status` of a
:class:`~tests.verifier.conftest.StatusServer`: routes and recorded requests) is reached
through a :class:`~tests.faults.proxy.CuttableProxy`, so besides wrong answers (5xx, garbage)
the tests get the network failures: nothing listening, a server that accepts and never
answers, one that hangs up without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pytest

from tests.faults.proxy import CuttableProxy
from tests.verifier.conftest import StatusServer, serve_status

__all__ = [
    "DROPPED",
    "FAULTS",
    "HTTP_TIMEOUT_SECONDS",
    "OFFLINE_CACHE_CASES",
    "STATUS_TYPE",
    "Fault",
    "StatusFaults",
    "serve_status",
]

STATUS_TYPE: Final = "application/statuslist+jwt"
#: The verifiers' status fetch timeout in these tests: what a hanging server costs a request.
#: Short, but with room for a loaded machine: a working fetch must never hit it.
HTTP_TIMEOUT_SECONDS: Final = 1.0


#: Offline, from a cached token (DESIGN §4): (its ``exp`` after issue, its age, the accepted
#: maximum age, the expected reason) — the CLI and the service must answer each the same.
OFFLINE_CACHE_CASES: Final = [
    pytest.param(3600, 1000, 1800, None, id="past-ttl-within-max-age"),
    pytest.param(3600, 1801, 1800, "status_unavailable", id="beyond-max-age"),
    pytest.param(600, 600, 86_400, "status_invalid", id="past-exp"),
]


@dataclass(frozen=True)
class Fault:
    """One way the status server fails, and the DESIGN §6 reason a verifier must answer when
    it has no usable cached list: the server cannot be reached or will not say
    (``status_unavailable``), or it answers with something that is not a status token of the
    right type (``status_invalid``, DESIGN §4)."""

    name: str
    reason: str


FAULTS: Final = [
    Fault("refused", "status_unavailable"),  # nothing listens: the server is down
    Fault("hanging", "status_unavailable"),  # accepts, never answers: the timeout fires
    Fault("dropped", "status_unavailable"),  # accepts, hangs up without an answer
    Fault("http-500", "status_unavailable"),
    Fault("http-503", "status_unavailable"),
    Fault("garbage-token", "status_invalid"),  # 200 statuslist+jwt that is no JWT
    Fault("html-page", "status_invalid"),  # 200 text/html: a captive portal, an error page
]
#: The outage of the cache tests: every fetch attempt reaches the proxy (and is counted) and
#: fails at once.
DROPPED: Final = FAULTS[2]


@dataclass
class StatusFaults:
    """Switches the status server between working and one of :data:`FAULTS`."""

    server: StatusServer
    proxy: CuttableProxy

    def inject(self, fault: Fault, path: str) -> None:
        """Make the server fail as ``fault`` says for the list at ``path``."""
        match fault.name:
            case "refused":
                self.proxy.cut()
            case "hanging":
                self.proxy.blackhole()
            case "dropped":
                self.proxy.drop()
            case "http-500" | "http-503":
                code = int(fault.name.removeprefix("http-"))
                self.server.routes[path] = (code, {"Content-Type": "text/plain"}, b"down")
            case "garbage-token":
                body = b"\x00not-a-token\xff"
                self.server.routes[path] = (200, {"Content-Type": STATUS_TYPE}, body)
            case "html-page":
                body = b"<html><body>Please log in to the network</body></html>"
                self.server.routes[path] = (200, {"Content-Type": "text/html"}, body)
            case _:
                raise AssertionError(fault.name)

    def down(self) -> None:
        """Down in the plainest way: nothing listens."""
        self.proxy.cut()

    def restore(self) -> None:
        self.proxy.restore()

    def reached(self, path: str) -> int:
        """How many requests for ``path`` reached the server itself."""
        return self.server.requests.count(path)
