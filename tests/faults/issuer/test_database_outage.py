"""The issuer with its database gone (issue 7 §4): a clean 503, no partial state, recovery.

On PostgreSQL the database disappears through a cuttable TCP proxy — before a request or in
the middle of its transaction; on SQLite another connection holds an exclusive lock past the
busy timeout (:mod:`tests.faults.outage`). Each test then checks that

- the answer is 503 ``service_unavailable`` with ``Retry-After``, and neither it nor any log
  record nor any database error text names the database or holds the applicant's data
  (``hide_parameters``, one handler in :mod:`issuer.api.errors`);
- what the interrupted transaction had written is gone, and the retry is stored exactly once;
- the same application instance serves again as soon as the database is back (no restart:
  pooled connections are checked before use and dropped when dead).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import col

from issuer.api.app import create_app
from issuer.db import PG_CONNECT_TIMEOUT_SECONDS, create_engine_for
from issuer.models import Application, AuditEvent
from tests.clock import FakeClock
from tests.databases import count_rows
from tests.faults.issuer.invariants import (
    assert_approval_left_nothing,
    assert_audit_consistent,
    assert_retry_approves_once,
)
from tests.faults.outage import (
    BUSY_TIMEOUT_SECONDS,
    assert_no_personal_data,
    assert_unavailable,
    database_outage,
    log_texts,
    record_database_errors,
)
from tests.faults.outage_service import (
    Service,
    check_connect_timeouts,
    service_through_outage,
    serving,
)
from tests.issuer.conftest import OfficerFactory, Sessions, make_settings
from tests.issuer.helpers import application_body, id_number

CANARY_NAME = "金丝雀"
CANARY_ID = id_number("19851212", sex="M")
REASON = {"reason": "documents verified at the counter"}


def app_on(url: str, clock: FakeClock) -> tuple[Engine, FastAPI]:
    settings = make_settings(url, sqlite_busy_timeout_seconds=BUSY_TIMEOUT_SECONDS)
    engine = create_engine_for(settings)
    return engine, create_app(settings, engine=engine, clock=clock)


@pytest.fixture
def service(db_url: str, clock: FakeClock) -> Iterator[Service]:
    with service_through_outage(db_url, lambda url: app_on(url, clock)) as service:
        yield service


def test_a_submission_cut_off_is_a_clean_503_and_its_retry_is_stored_once(
    service: Service, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    body = application_body(name=CANARY_NAME, id_number=CANARY_ID, birth_date="1985-12-12", sex="M")
    assert service.client.get("/status/1").status_code == 404  # the pool holds a connection
    caplog.set_level(logging.INFO)
    with (
        record_database_errors(service.engine) as errors,
        # The failing statement is the one carrying the name and ID number.
        service.outage.cut_at(service.engine, "INSERT INTO application"),
    ):
        response = service.client.post("/v1/applications", json=body)
    assert_unavailable(response, CANARY_NAME, CANARY_ID)
    assert errors, "the database did not fail"
    assert_no_personal_data([*errors, *log_texts(caplog.records)], CANARY_NAME, CANARY_ID)

    service.outage.restore()
    assert count_rows(engine, Application) == 0
    retry = service.client.post("/v1/applications", json=body)
    assert retry.status_code == 201, retry.text
    assert count_rows(engine, Application, col(Application.id_number) == CANARY_ID) == 1
    assert count_rows(engine, AuditEvent, col(AuditEvent.action) == "application.submit") == 1
    assert_audit_consistent(engine)


def test_an_approval_cut_off_leaves_no_partial_state(
    service: Service, engine: Engine, make_officer: OfficerFactory, clock: FakeClock
) -> None:
    client = service.client
    submitted = client.post("/v1/applications", json=application_body())
    assert submitted.status_code == 201, submitted.text
    application_id = uuid.UUID(submitted.json()["application_id"])
    headers = Sessions(client, clock).headers(make_officer("clerk"))
    approve = f"/v1/applications/{application_id}/approve"
    events = count_rows(engine, AuditEvent)

    with service.outage.cut_at(service.engine, "INSERT INTO audit_event") as ran:
        response = client.post(approve, json=REASON, headers=headers)
    assert_unavailable(response)
    if service.outage.mid_transaction:  # the transaction had written before it was cut off
        for written in ("INSERT INTO transition", "UPDATE application", "INSERT INTO credential"):
            assert any(statement.startswith(written) for statement in ran), written

    service.outage.restore()  # what the interrupted transaction wrote is gone:
    assert_approval_left_nothing(engine, application_id, events)
    assert_retry_approves_once(client, engine, approve, REASON, headers)


def test_reads_are_503_while_the_database_is_away_and_recover_without_restart(
    service: Service, make_officer: OfficerFactory, clock: FakeClock
) -> None:
    client = service.client
    headers = Sessions(client, clock).headers(make_officer("clerk"))
    reads = ["/v1/applications", "/v1/permits"]
    for path in reads:
        assert client.get(path, headers=headers).status_code == 200
    service.outage.cut()
    for _ in range(2):  # a failed request does not leave the pool stuck either way
        for path in reads:
            assert_unavailable(client.get(path, headers=headers))
    service.outage.restore()
    for path in reads:  # the first request after the outage already succeeds
        assert client.get(path, headers=headers).status_code == 200


@pytest.mark.postgres
def test_a_database_that_never_answers_is_503_after_the_connect_timeout(
    postgres_schema_url: str, clock: FakeClock
) -> None:
    with (
        database_outage(postgres_schema_url) as outage,
        serving(*app_on(outage.url, clock)) as client,
    ):
        assert client.get("/status/1").status_code == 404
        outage.blackhole()  # the pooled connection dies, a new one is never answered
        assert_unavailable(client.get("/status/1"))
        outage.restore()
        assert client.get("/status/1").status_code == 404


@pytest.mark.postgres
def test_connects_carry_a_timeout_unless_the_url_sets_one(postgres_schema_url: str) -> None:
    check_connect_timeouts(
        postgres_schema_url,
        lambda url: create_engine_for(make_settings(url)),
        PG_CONNECT_TIMEOUT_SECONDS,
    )
