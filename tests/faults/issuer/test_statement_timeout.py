"""The issuer with a PostgreSQL statement that never finishes: bounded, 503, nothing half-written.

Every audited request ends by locking and moving the audit chain's head row. Here another
transaction holds that row (``SELECT ... FOR UPDATE``, left open, as a stuck or slow
concurrent transaction would), so the request, having written everything else, waits. With
short timeouts in the settings the server cancels the waiting statement — by ``lock_timeout``
(``LockNotAvailable``, 55P03), or with that off by ``statement_timeout`` (``QueryCanceled``,
57014) — and the request must answer 503 ``service_unavailable`` with ``Retry-After``, its
transaction rolled back: no application, transition, offer or audit event, no personal data
in the answer, the database errors or the logs. Once the lock is released, the retry succeeds
once. Without the timeouts the request would wait as long as the lock is held.

The background workers meet the same cancellation as any other database error: the batch
worker pauses the batch (its rows untouched) and finishes it on the next attempt, the status
publisher logs the failed pass by type and carries on.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from issuer.api.app import create_app
from issuer.batchfile import UploadFormat
from issuer.db import create_engine_for, session_scope
from issuer.models import Application, AuditEvent, Batch
from issuer.models.offers import CNonce
from issuer.services.batches import accept_batch
from issuer.services.employers import EmployerPrincipal
from issuer.worker import BatchWorker
from tests.clock import FakeClock
from tests.databases import count_rows
from tests.faults.issuer.invariants import (
    assert_approval_left_nothing,
    assert_audit_consistent,
    assert_retry_approves_once,
)
from tests.faults.outage import (
    assert_no_personal_data,
    assert_unavailable,
    log_texts,
    record_database_errors,
)
from tests.faults.outage_service import serving
from tests.issuer.batch_helpers import (
    DEADLINE_SECONDS,
    csv_text,
    employees,
    make_employer,
    rows_written,
)
from tests.issuer.conftest import OfficerFactory, Sessions, make_settings
from tests.issuer.helpers import application_body, id_number
from tests.servicekit.postgres import TIMEOUTS, Timeouts, held_lock, server_errors

pytestmark = [
    pytest.mark.postgres,
    # PostgreSQL only: SQLite's equivalent, a writer waiting past the busy timeout, is
    # test_database_outage.py's.
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

CANARY_NAME = "金丝雀"
CANARY_ID = id_number("19851212", sex="M")
REASON = {"reason": "documents verified at the counter"}
LOCK_AUDIT_HEAD = "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"


@pytest.fixture(params=TIMEOUTS)
def timeouts(request: pytest.FixtureRequest) -> Timeouts:
    given: Timeouts = request.param
    return given


@pytest.fixture
def service(
    db_url: str, clock: FakeClock, timeouts: Timeouts
) -> Iterator[tuple[TestClient, Engine]]:
    """The issuer app on its own engine, with the short timeouts of the parametrisation."""
    settings = make_settings(db_url, **timeouts.settings)
    engine = create_engine_for(settings)
    app = create_app(settings, engine=engine, clock=clock)
    with serving(engine, app) as client:
        yield client, engine


@pytest.fixture
def statements(service: tuple[TestClient, Engine]) -> Iterator[list[str]]:
    """Every statement the app's engine runs during the test."""
    ran: list[str] = []

    def before(
        _conn: Connection, _cursor: Any, text: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        ran.append(text)

    event.listen(service[1], "before_cursor_execute", before)
    yield ran
    event.remove(service[1], "before_cursor_execute", before)


def test_a_submission_stuck_behind_a_lock_is_a_clean_503_and_its_retry_is_stored_once(
    service: tuple[TestClient, Engine],
    engine: Engine,
    timeouts: Timeouts,
    statements: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, app_engine = service
    body = application_body(name=CANARY_NAME, id_number=CANARY_ID, birth_date="1985-12-12", sex="M")
    caplog.set_level(logging.INFO)
    with (
        held_lock(engine, LOCK_AUDIT_HEAD),
        record_database_errors(app_engine) as texts,
        server_errors(app_engine) as errors,
    ):
        response = client.post("/v1/applications", json=body)
    assert_unavailable(response, CANARY_NAME, CANARY_ID)
    assert [type(error) for error in errors] == [timeouts.error]  # the server cancelled the wait
    # The application row, name and ID number in it, had been written before the wait.
    assert any(statement.startswith("INSERT INTO application") for statement in statements)
    assert_no_personal_data([*texts, *log_texts(caplog.records)], CANARY_NAME, CANARY_ID)
    assert count_rows(engine, Application) == 0
    assert count_rows(engine, AuditEvent) == 0

    retry = client.post("/v1/applications", json=body)  # the lock is gone
    assert retry.status_code == 201, retry.text
    assert count_rows(engine, Application, col(Application.id_number) == CANARY_ID) == 1
    assert count_rows(engine, AuditEvent, col(AuditEvent.action) == "application.submit") == 1
    assert_audit_consistent(engine)


def test_an_approval_stuck_behind_a_lock_leaves_no_partial_state(
    service: tuple[TestClient, Engine],
    engine: Engine,
    make_officer: OfficerFactory,
    clock: FakeClock,
    timeouts: Timeouts,
    statements: list[str],
) -> None:
    client, app_engine = service
    submitted = client.post("/v1/applications", json=application_body())
    assert submitted.status_code == 201, submitted.text
    application_id = uuid.UUID(submitted.json()["application_id"])
    headers = Sessions(client, clock).headers(make_officer("clerk"))  # logins are audited too
    approve = f"/v1/applications/{application_id}/approve"
    events = count_rows(engine, AuditEvent)
    statements.clear()

    with held_lock(engine, LOCK_AUDIT_HEAD), server_errors(app_engine) as errors:
        response = client.post(approve, json=REASON, headers=headers)
    assert_unavailable(response)
    assert [type(error) for error in errors] == [timeouts.error]
    for written in ("INSERT INTO transition", "UPDATE application", "INSERT INTO credential"):
        assert any(statement.startswith(written) for statement in statements), written

    # what the cancelled transaction wrote is gone
    assert_approval_left_nothing(engine, application_id, events)

    assert_retry_approves_once(client, engine, approve, REASON, headers)


# --- the background workers: a cancelled statement is transient, as any database error ------


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (a background thread's effect) with a generous guard against a hang."""
    give_up = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < give_up, f"still waiting for {what}"
        time.sleep(0.02)


def test_the_batch_worker_pauses_a_batch_stuck_behind_a_lock_and_finishes_it_later(
    db_url: str, engine: Engine, clock: FakeClock, timeouts: Timeouts
) -> None:
    settings = make_settings(db_url, **timeouts.settings)
    employer = make_employer(engine, settings, clock)
    with session_scope(engine) as session:
        batch_id = accept_batch(
            session=session,
            employer=EmployerPrincipal(employer_id=employer.id, jurisdiction="shanghai"),
            content=csv_text(employees(3)).encode("utf-8"),
            fmt=UploadFormat.CSV,
            max_rows=3,
            now=clock(),
        ).id
    worker_engine = create_engine_for(settings)
    worker = BatchWorker(engine=worker_engine, settings=settings, clock=clock)
    try:
        with held_lock(engine, LOCK_AUDIT_HEAD), server_errors(worker_engine) as errors:
            assert worker.process(batch_id) is False  # paused, not failed
        assert [type(error) for error in errors] == [timeouts.error]
        assert rows_written(engine, batch_id) == {}
        with Session(engine) as session:
            batch = session.get(Batch, batch_id)
            assert batch is not None
            assert batch.state in ("queued", "running")

        assert worker.process(batch_id) is True  # the lock is gone: the retry finishes it
    finally:
        worker_engine.dispose()
    assert rows_written(engine, batch_id) == {1: 1, 2: 1, 3: 1}
    assert_audit_consistent(engine)


def test_the_status_publisher_survives_passes_stuck_behind_a_lock(
    db_url: str,
    engine: Engine,
    clock: FakeClock,
    timeouts: Timeouts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each pass purges expired ``c_nonce`` rows; one of them is locked by another transaction
    for a while: the passes fail (logged by type), the thread carries on, and the first pass
    after the lock is released purges the row."""
    settings = make_settings(db_url, status_refresh_seconds=0.05, **timeouts.settings)
    app_engine = create_engine_for(settings)
    app = create_app(settings, engine=app_engine, clock=clock)
    caplog.set_level(logging.WARNING, logger="issuer.publisher")
    with serving(app_engine, app) as client:
        assert client.post("/issuer/nonce").status_code == 200
        with held_lock(engine, "SELECT nonce_hash FROM c_nonce FOR UPDATE"):
            clock.advance(seconds=settings.c_nonce_ttl_seconds + 1)  # the nonce is now due
            wait_for(
                lambda: any("status refresh failed" in r.getMessage() for r in caplog.records),
                "a failed pass",
            )
        wait_for(lambda: count_rows(engine, CNonce) == 0, "the purge after the lock")
        assert app.state.status_publisher.running
    failures = [r.getMessage() for r in caplog.records if "status refresh failed" in r.msg]
    assert failures
    assert all(message == "status refresh failed (OperationalError)" for message in failures)
