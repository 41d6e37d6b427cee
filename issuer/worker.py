"""The background worker that processes employer batches (issue 3 §7).

One :class:`BatchWorker` per application, created by ``create_app`` and kept on
``app.state.batch_worker``; the lifespan starts it and stops it. It owns one daemon thread:

- at start-up it resumes every unfinished batch (``queued`` or ``running``): after a crash the
  job continues after its last committed row (:mod:`issuer.services.batches` explains why that
  is exact);
- it then processes batches it is told about (:meth:`BatchWorker.notify`, called once the
  upload is committed) and, every ``batch_poll_seconds``, queued batches it was not told about.

Database errors pause a batch rather than fail it (the database may be restarting): the batch
is retried on the next poll, and failed for good after :data:`MAX_ATTEMPTS` attempts in a row.
Only the exception type is logged: SQLAlchemy's messages quote statement parameters, which here
are names and ID numbers.

Stopping is cooperative: the worker finishes the row in hand, leaves the batch ``running`` and
the next start resumes it. The thread is a daemon, so a process that exits without stopping it
behaves exactly like a crash, which the design already tolerates.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from issuer.db import session_scope
from issuer.services.batches import (
    RowHook,
    fail_batch,
    finish_batch,
    load_job,
    process_row,
    unfinished_batches,
)
from issuer.settings import IssuerSettings

__all__ = ["MAX_ATTEMPTS", "BatchWorker"]

#: Consecutive database failures on one batch before it is failed for good.
MAX_ATTEMPTS: Final = 5
_log = logging.getLogger(__name__)


class BatchWorker:
    """Processes employer batches in one background thread (see the module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: IssuerSettings,
        clock: Callable[[], datetime],
        row_hook: RowHook | None = None,
    ) -> None:
        self._engine = engine
        self._served = settings.jurisdictions
        self._poll_seconds = settings.batch_poll_seconds
        self._clock = clock
        self._row_hook = row_hook
        self._wakeups: queue.SimpleQueue[uuid.UUID | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: Batches paused by a database error, with the number of failures in a row.
        self._attempts: dict[uuid.UUID, int] = {}
        #: Until a scan of every open batch succeeded (the database may be down at start-up),
        #: polls keep looking at ``running`` batches too, so a crashed job is never forgotten.
        self._resumed = False

    def is_running(self) -> bool:
        """True while the thread is alive (a method: the answer changes under the caller)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread; it first resumes every unfinished batch."""
        if self.is_running():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="batch-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after the row in hand, and wait up to ``timeout`` for it."""
        self._stopping.set()
        self._wakeups.put(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if not thread.is_alive():
                self._thread = None

    def notify(self, batch_id: uuid.UUID) -> None:
        """A batch was committed and awaits processing."""
        self._wakeups.put(batch_id)

    def run_pending(self) -> int:
        """Process every unfinished batch now, in the calling thread; returns how many finished.

        What the thread does at start-up; also a synchronous entry point for tools and tests.
        """
        finished = 0
        for batch_id in self._scan(queued_only=False):
            if self._stopping.is_set():
                break
            finished += self.process(batch_id)
        return finished

    def process(self, batch_id: uuid.UUID) -> bool:
        """Run one batch to its end (or until stopped); True when it reached ``done``."""
        try:
            finished = self._process(batch_id)
        except SQLAlchemyError as exc:
            attempts = self._attempts.get(batch_id, 0) + 1
            self._attempts[batch_id] = attempts
            _log.warning(
                "batch %s paused after a database error (%s), attempt %d",
                batch_id,
                type(exc).__name__,
                attempts,
            )
            if attempts >= MAX_ATTEMPTS:
                self._give_up(batch_id)
            return False
        self._attempts.pop(batch_id, None)
        return finished

    def _process(self, batch_id: uuid.UUID) -> bool:
        job = load_job(engine=self._engine, batch_id=batch_id, now=self._clock())
        if job is None:
            return False
        row: int | None = job.next_row
        while row is not None and row <= len(job.rows):
            if self._stopping.is_set():
                return False
            row = process_row(
                engine=self._engine,
                job=job,
                row=row,
                served=self._served,
                now=self._clock(),
                hook=self._row_hook,
            )
        return finish_batch(engine=self._engine, batch_id=batch_id, now=self._clock())

    def _give_up(self, batch_id: uuid.UUID) -> None:
        self._attempts.pop(batch_id, None)
        try:
            fail_batch(engine=self._engine, batch_id=batch_id, now=self._clock())
        except SQLAlchemyError as exc:
            _log.warning("batch %s could not be failed (%s)", batch_id, type(exc).__name__)

    def _scan(self, *, queued_only: bool) -> list[uuid.UUID]:
        queued_only = queued_only and self._resumed
        try:
            with session_scope(self._engine) as session:
                found = unfinished_batches(session=session, queued_only=queued_only)
        except SQLAlchemyError as exc:
            _log.warning("batch scan failed (%s)", type(exc).__name__)
            return list(self._attempts)
        self._resumed = True
        return [*found, *(batch_id for batch_id in self._attempts if batch_id not in found)]

    def _run(self) -> None:
        self.run_pending()
        while not self._stopping.is_set():
            try:
                batch_id = self._wakeups.get(timeout=self._poll_seconds)
            except queue.Empty:
                for pending in self._scan(queued_only=True):
                    if self._stopping.is_set():
                        return
                    self.process(pending)
                continue
            if batch_id is not None:
                self.process(batch_id)
