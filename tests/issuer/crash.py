"""Killing a crash-worker process (:mod:`tests.issuer.batch_crash_worker`,
:mod:`tests.issuer.bulk_crash_worker`) with SIGKILL while its transaction is open.

Each worker prints ``inside N`` once it has written but not committed, then sleeps; the kill
there is the worst moment for a crash.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parents[2]
#: Guard against a hung child; never an assertion about speed.
CHILD_DEADLINE_SECONDS: Final = 120


def kill_9_inside(module: str, *args: str, point: str) -> None:
    """Run ``python -m module *args``, wait until it prints ``inside {point}``, SIGKILL it, and
    check it was the kill that ended it."""
    child = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], CHILD_DEADLINE_SECONDS)
        assert ready, f"the worker never reached its crash point ({point})"
        assert child.stdout.readline().strip() == f"inside {point}"
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(CHILD_DEADLINE_SECONDS) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
