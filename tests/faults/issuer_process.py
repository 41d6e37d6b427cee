"""The issuer service in a process of its own, served by uvicorn, that can stop dead on cue.

``python -m tests.faults.issuer_process DATABASE_URL KEY_DIR NOW CRASH_POINT``

It builds the real application (``create_app``, the same as ``permit serve issuer``) on
``DATABASE_URL`` with the signing keys of ``KEY_DIR`` and a clock frozen at ``NOW`` (ISO 8601,
so the test can compute the supervisor's TOTP code), listens on a free loopback port and prints
``listening PORT``. At ``CRASH_POINT`` it prints ``inside CRASH_POINT`` and sleeps, and the
test kills it with SIGKILL there: the worst moment for a crash.

Crash points (:data:`COMMIT_MARKERS`): at the commit of the transaction that wrote the marked
statement — every row of it written, nothing committed — or, for ``status-committed``, after
a status change committed and before its list is republished, and for ``batch-row:N``, inside
row N's transaction in the batch worker.
"""

from __future__ import annotations

import re
import socket
import sys
import time
import uuid
from datetime import datetime
from typing import Any, Final

import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from issuer.api.app import create_app
from issuer.publisher import StatusPublisher
from issuer.settings import IssuerSettings
from issuer.worker import BatchWorker

#: Long enough for any test to kill the process; it is never meant to elapse.
_PAUSE_SECONDS: Final = 600
#: Key passphrase of the test key directories (a test value, not a secret).
KEY_PASSPHRASE: Final = "fault tests key passphrase"
#: Crash point -> the statement whose transaction is stopped at its commit.
COMMIT_MARKERS: Final = {
    # suspend / reinstate / revoke: permit state, transition, audit event, entries, list dirty
    "status-change": re.compile(r"^UPDATE status_allocation SET status"),
    # the rebuilt, signed token is written to the list row (status_tokens.rebuild_list)
    "status-publish": re.compile(r"^UPDATE status_list SET .*\btoken\b", re.DOTALL),
    # an employer's upload: the batch, its stored file and audit event
    "batch-upload": re.compile(r"^INSERT INTO batch_upload\b"),
}
_MARK: Final = "fault_marked"


def _pause(point: str) -> None:
    print(f"inside {point}", flush=True)
    time.sleep(_PAUSE_SECONDS)


def stop_at_commit(engine: Engine, point: str) -> None:
    """Stop inside the commit of the first transaction that runs the point's statement."""
    marker = COMMIT_MARKERS[point]

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(
        conn: Connection, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        if marker.search(statement):
            conn.info[_MARK] = True

    @event.listens_for(engine, "commit")
    def _commit(conn: Connection) -> None:
        if conn.info.pop(_MARK, False):
            _pause(point)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Connection) -> None:
        conn.info.pop(_MARK, None)


class _StoppingPublisher(StatusPublisher):
    """Stops once a status change has committed, before the list is republished."""

    def after_commit(self) -> None:
        _pause("status-committed")


def _settings(url: str, key_dir: str) -> IssuerSettings:
    # Not tests.issuer.conftest.make_settings: importing the fixtures slows every start-up.
    return IssuerSettings.model_validate(
        {
            "database_url": url,
            "environment": "test",
            "jwt_secret": "test-only-officer-session-secret-" + "0123456789abcdef" * 3,
            "issuer_url": "http://127.0.0.1:8000/issuer",
            "public_base_url": "http://127.0.0.1:8000",
            "argon2_time_cost": 1,
            "argon2_memory_kib": 8,
            "argon2_parallelism": 1,
            "key_dir": key_dir,
            "key_passphrase": KEY_PASSPHRASE,
            # Publication right after the change, in the request's background task.
            "status_refresh_seconds": 0.0,
        }
    )


def main(argv: list[str]) -> None:
    url, key_dir, now_text, point = argv[1:5]
    now = datetime.fromisoformat(now_text)
    settings = _settings(url, key_dir)
    app = create_app(settings, clock=lambda: now)
    engine: Engine = app.state.engine
    if point in COMMIT_MARKERS:
        stop_at_commit(engine, point)
    elif point == "status-committed":
        app.state.status_publisher = _StoppingPublisher(
            engine=engine, ring=app.state.signing_ring, settings=settings, clock=lambda: now
        )
    elif point.startswith("batch-row:"):
        stop_row = int(point.removeprefix("batch-row:"))

        def hook(_batch_id: uuid.UUID, row: int) -> None:
            if row == stop_row:
                _pause(point)

        # The lifespan starts whatever worker is on app.state (issuer.api.app).
        app.state.batch_worker = BatchWorker(
            engine=engine, settings=settings, clock=lambda: now, row_hook=hook
        )
    else:
        raise SystemExit(f"unknown crash point {point!r}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections queue until uvicorn accepts them
    print(f"listening {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv)
