"""kill -9 mid-batch (issue 3 acceptance, issue 7 §4): after a restart the batch resumes and
nothing is lost, duplicated or half-written. On SQLite (a file) and PostgreSQL.

A worker process is killed with SIGKILL while a row's transaction is open (its application and
audit event are written, not committed); a restarted issuer then resumes the batch at start-up.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func
from sqlmodel import select as sql_select

from issuer.api.app import create_app
from issuer.audit import verify_stored_chain
from issuer.batchfile import UploadFormat
from issuer.db import session_scope
from issuer.models import AuditEvent, Batch, BatchUpload
from issuer.services.batches import accept_batch
from issuer.services.employers import EmployerPrincipal
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.issuer.batch_helpers import (
    EmployerHandle,
    csv_text,
    employees,
    make_employer,
    rows_written,
    wait_for_batch,
)
from tests.issuer.crash import CHILD_DEADLINE_SECONDS, REPO, kill_9_inside

TOTAL = 50
#: Rows that fail validation: their errors must be recorded exactly once across crashes.
BAD_ROWS = (7, 33)
VALID_ROWS = [row for row in range(1, TOTAL + 1) if row not in BAD_ROWS]


def queue_batch(engine: Engine, employer: EmployerHandle, clock: FakeClock) -> uuid.UUID:
    rows = employees(TOTAL)
    for row in BAD_ROWS:
        rows[row - 1]["facts"]["studying"] = 1
    with session_scope(engine) as session:
        batch = accept_batch(
            session=session,
            employer=EmployerPrincipal(employer_id=employer.id, jurisdiction="shanghai"),
            content=csv_text(rows).encode("utf-8"),
            fmt=UploadFormat.CSV,
            max_rows=TOTAL,
            now=clock(),
        )
    return batch.id


def run_worker_until_inside(db_url: str, stop_row: int) -> None:
    """Start a worker process, wait until it is inside row ``stop_row``'s transaction, kill -9."""
    kill_9_inside("tests.issuer.batch_crash_worker", db_url, str(stop_row), point=str(stop_row))


def assert_cut_before(engine: Engine, batch_id: uuid.UUID, stop_row: int) -> None:
    """Exactly the rows before ``stop_row`` are committed; the killed row left nothing."""
    with Session(engine) as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        assert batch.state == "running"
        assert batch.done + batch.failed == stop_row - 1
        assert batch.failed == sum(1 for row in BAD_ROWS if row < stop_row)
        assert session.get(BatchUpload, batch_id) is not None
        assert verify_stored_chain(session).ok
    assert rows_written(engine, batch_id) == {row: 1 for row in VALID_ROWS if row < stop_row}


def assert_complete(engine: Engine, batch_id: uuid.UUID) -> None:
    assert rows_written(engine, batch_id) == dict.fromkeys(VALID_ROWS, 1)
    with Session(engine) as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        assert (batch.state, batch.done, batch.failed) == ("done", len(VALID_ROWS), len(BAD_ROWS))
        assert [error["row"] for error in batch.errors] == list(BAD_ROWS)
        assert session.get(BatchUpload, batch_id) is None
        submits = session.exec(
            sql_select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.action) == "application.submit")
        ).one()
        assert submits == len(VALID_ROWS)
        assert verify_stored_chain(session).ok


@pytest.mark.parametrize(
    "kill_points",
    [
        pytest.param((1,), id="first-row"),
        pytest.param((TOTAL,), id="last-row"),
        pytest.param((7, 33), id="twice-on-failing-rows"),
    ],
)
def test_kill_9_mid_batch_then_restart_resumes_exactly(
    db_url: str,
    engine: Engine,
    settings: IssuerSettings,
    clock: FakeClock,
    kill_points: tuple[int, ...],
) -> None:
    employer = make_employer(engine, settings, clock)
    batch_id = queue_batch(engine, employer, clock)
    for stop_row in kill_points:
        run_worker_until_inside(db_url, stop_row)
        assert_cut_before(engine, batch_id, stop_row)
    # Restart the issuer: its lifespan resumes the unfinished batch.
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        status = wait_for_batch(client, employer, str(batch_id))
    assert status["done"] == len(VALID_ROWS)
    assert [a["row"] for a in status["applications"]] == VALID_ROWS
    assert_complete(engine, batch_id)


def test_a_worker_process_finishes_what_a_killed_one_started(
    db_url: str, engine: Engine, settings: IssuerSettings, clock: FakeClock
) -> None:
    employer = make_employer(engine, settings, clock)
    batch_id = queue_batch(engine, employer, clock)
    run_worker_until_inside(db_url, 20)
    finished = subprocess.run(
        [sys.executable, "-m", "tests.issuer.batch_crash_worker", db_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CHILD_DEADLINE_SECONDS,
        check=True,
    )
    assert finished.stdout.strip() == "finished 1"
    assert_complete(engine, batch_id)
