"""The status publisher: keeps every signed status list token current (issue 3 §6).

One :class:`StatusPublisher` per application (``app.state.status_publisher``), started and
stopped by the lifespan like the batch worker. Its daemon thread runs :meth:`refresh` every
``status_refresh_seconds``:

1. :func:`~issuer.services.endorsements.retire_due` — replaced credentials whose grace ended
   become INVALID;
2. :func:`~issuer.services.endorsements.expire_due` — permits whose endorsement lapsed expire;
3. expired access tokens and ``c_nonce`` rows are purged (the nonce endpoint is public);
4. every list that is dirty, unsigned, signed by a key no longer active or past half-life is
   rebuilt and signed (:func:`~issuer.services.status_lists.rebuild_list`).

Routes that change status entries call :meth:`after_commit` once their transaction committed:
it wakes the thread (or, with the thread disabled, rebuilds in the calling thread), so a
suspension reaches the served token in milliseconds; the periodic pass covers changes made by
other processes and the CLI. Each list is rebuilt in its own short transaction. Several workers
may run publishers at once: rebuilding locks the list row and skips lists another one rebuilt.
Only exception types are logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from issuer.db import session_scope
from issuer.models.offers import AccessToken, CNonce
from issuer.services.endorsements import expire_due, retire_due
from issuer.services.status_tokens import lists_needing_rebuild, rebuild_list
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.errors import PermitError

__all__ = ["RefreshReport", "StatusPublisher"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one :meth:`StatusPublisher.refresh` pass did."""

    retired: int
    expired: int
    rebuilt: int


class StatusPublisher:
    """Rebuilds status list tokens after changes and before they expire (module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        ring: KeyRing,
        settings: IssuerSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self._ring = ring
        self._settings = settings
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the refresher thread (not when ``status_refresh_seconds`` is 0)."""
        if self.running or self._settings.status_refresh_seconds <= 0:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="status-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread after the pass in hand and wait for it."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def after_commit(self) -> None:
        """Status entries changed and were committed: publish them now."""
        if self.running:
            self._wake.set()
        else:
            self.publish()

    def publish(self) -> int:
        """Rebuild every list that needs it; returns how many were rebuilt."""
        now = self._clock()
        with Session(self._engine) as session:
            ids = lists_needing_rebuild(
                session=session, ring=self._ring, settings=self._settings, now=now
            )
            session.rollback()
        rebuilt = 0
        for list_id in ids:
            with session_scope(self._engine) as session:
                rebuilt += rebuild_list(
                    session=session,
                    list_id=list_id,
                    ring=self._ring,
                    settings=self._settings,
                    now=now,
                )
        return rebuilt

    def refresh(self) -> RefreshReport:
        """One full pass: retire, expire, purge, publish (module docstring)."""
        now = self._clock()
        with session_scope(self._engine) as session:
            retired = retire_due(session=session, now=now)
        with session_scope(self._engine) as session:
            expired = len(expire_due(session=session, now=now))
        with session_scope(self._engine) as session:
            session.execute(delete(CNonce).where(col(CNonce.expires_at) <= now))
            session.execute(delete(AccessToken).where(col(AccessToken.expires_at) <= now))
        return RefreshReport(retired=retired, expired=expired, rebuilt=self.publish())

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.refresh()
            except (SQLAlchemyError, PermitError) as exc:
                # The database may be restarting; the next pass tries again.
                _log.warning("status refresh failed (%s)", type(exc).__name__)
            self._wake.wait(self._settings.status_refresh_seconds)
            self._wake.clear()
