"""A batch worker process for the kill -9 tests; it can stop dead inside a row's transaction.

``python -m tests.issuer.batch_crash_worker DATABASE_URL [STOP_ROW]``

With ``STOP_ROW`` the worker prints ``inside N`` once row N's application (or its errors) and
the progress counters are written but not committed, then sleeps: the test kills it there with
SIGKILL, the worst moment for a crash. Without it, the worker resumes every unfinished batch and
prints ``finished K`` (K batches reached ``done``).
"""

from __future__ import annotations

import sys
import time
import uuid

from issuer.db import create_engine_for, utcnow
from issuer.settings import IssuerSettings
from issuer.worker import BatchWorker

#: Long enough for any test to kill the process; it is never meant to elapse.
_PAUSE_SECONDS = 600


def main(argv: list[str]) -> None:
    url = argv[1]
    stop_row = int(argv[2]) if len(argv) > 2 else None
    # Not tests.issuer.conftest.make_settings: importing the test fixtures would double the
    # start-up time of every killed process. The worker reads only these settings.
    settings = IssuerSettings.model_validate(
        {"database_url": url, "environment": "test", "jwt_secret": "crash-worker-" + "0" * 32}
    )
    engine = create_engine_for(settings)

    def hook(_batch_id: uuid.UUID, row: int) -> None:
        if row == stop_row:
            print(f"inside {row}", flush=True)
            time.sleep(_PAUSE_SECONDS)

    worker = BatchWorker(engine=engine, settings=settings, clock=utcnow, row_hook=hook)
    print(f"finished {worker.run_pending()}", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv)
