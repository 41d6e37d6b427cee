"""kill -9 of the serving issuer process during an employer's batch upload (issue 7 §4).

What is already proven elsewhere, and not repeated here: a batch *worker* process killed
inside a row's transaction resumes exactly after a restart (``tests/issuer/
test_batches_resume.py``), and an officer's bulk approval killed before its commit leaves no
permit, number, status entry, credential, offer, transition or audit event behind
(``tests/issuer/test_bulk_issuance.py::TestService::test_kill_9_before_the_commit_leaves_nothing``).

What these tests add: the process killed is the HTTP server itself (uvicorn running
``create_app``, as ``permit serve issuer`` does), with the upload arriving over HTTP and the
worker thread running inside the same process; a new issuer then starts on the same database.

- killed inside the upload's transaction: the client got no answer and nothing of the batch
  exists; the employer's retry is accepted once and processed completely;
- killed inside row N (a failing one) while the in-process worker handles the committed
  upload: exactly the rows before N exist, and the restarted issuer's start-up resumes the
  batch to completion with every row once, the failing rows reported once, and the audit
  chain intact.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from issuer.models import Application, AuditEvent, Batch, BatchUpload
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from tests.clock import FakeClock
from tests.databases import count_rows
from tests.faults.issuer.invariants import assert_audit_consistent
from tests.faults.killing import issuer_process
from tests.issuer.batch_helpers import (
    EmployerHandle,
    csv_text,
    employees,
    make_employer,
    upload,
    wait_for_batch,
)
from tests.issuer.test_batches_resume import (
    BAD_ROWS,
    TOTAL,
    VALID_ROWS,
    assert_complete,
    assert_cut_before,
)

MakeClient = Callable[..., TestClient]


def upload_text() -> str:
    """The rows of ``test_batches_resume``: :data:`BAD_ROWS` fail validation."""
    rows = employees(TOTAL)
    for row in BAD_ROWS:
        rows[row - 1]["facts"]["studying"] = 1
    return csv_text(rows)


def post_upload(http: httpx.Client, employer: EmployerHandle) -> httpx.Response:
    return http.post(
        "/v1/batches",
        content=upload_text().encode("utf-8"),
        headers={**employer.headers, "Content-Type": "text/csv"},
    )


def test_kill_9_inside_the_upload_leaves_nothing_and_the_retry_is_taken_once(
    db_url: str,
    engine: Engine,
    settings: IssuerSettings,
    clock: FakeClock,
    make_client: MakeClient,
    key_dir: Path,
    ring: KeyRing,
) -> None:
    employer = make_employer(engine, settings, clock)
    events = count_rows(engine, AuditEvent)
    with (
        issuer_process(db_url, key_dir, clock(), "batch-upload") as child,
        child.http() as http,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        answer = pool.submit(post_upload, http, employer)
        child.wait_inside("batch-upload")
        child.kill_9()
        with pytest.raises(httpx.TransportError):
            answer.result()
    for model in (Batch, BatchUpload, Application):
        assert count_rows(engine, model) == 0, model
    assert count_rows(engine, AuditEvent) == events

    restarted = make_client(ring=ring)
    accepted = upload(restarted, employer, upload_text())
    assert accepted.status_code == 202, accepted.text
    status = wait_for_batch(restarted, employer, accepted.json()["id"])
    assert (status["done"], status["failed"]) == (len(VALID_ROWS), len(BAD_ROWS))
    assert count_rows(engine, Batch) == 1
    assert_complete(engine, uuid.UUID(accepted.json()["id"]))
    assert_audit_consistent(engine)


def test_kill_9_of_the_serving_process_mid_batch_then_restart_finishes_exactly(
    db_url: str,
    engine: Engine,
    settings: IssuerSettings,
    clock: FakeClock,
    make_client: MakeClient,
    key_dir: Path,
    ring: KeyRing,
) -> None:
    employer = make_employer(engine, settings, clock)
    stop_row = BAD_ROWS[1]  # a failing row: its error must end up recorded exactly once
    point = f"batch-row:{stop_row}"
    with issuer_process(db_url, key_dir, clock(), point) as child, child.http() as http:
        accepted = post_upload(http, employer)
        assert accepted.status_code == 202, accepted.text
        child.wait_inside(point)
        child.kill_9()
    batch_id = uuid.UUID(accepted.json()["id"])
    assert_cut_before(engine, batch_id, stop_row)

    restarted = make_client(ring=ring)  # its start-up resumes the unfinished batch
    status = wait_for_batch(restarted, employer, str(batch_id))
    assert [item["row"] for item in status["applications"]] == VALID_ROWS
    assert [error["row"] for error in status["errors"]] == list(BAD_ROWS)
    assert_complete(engine, batch_id)
    assert_audit_consistent(engine)
