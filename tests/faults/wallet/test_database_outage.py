"""The holder wallet with its database gone (issue 7 §4): a clean 503, no partial state.

The same outages as the issuer's (:mod:`tests.faults.outage`; PostgreSQL cut through a proxy,
before a request or inside its transaction; SQLite locked past the busy timeout), on the
wallet's account and session writes and on an authenticated read: 503
``service_unavailable`` with ``Retry-After``, nothing about the database or the holder in the
answer, the database errors or the logs, nothing half-written, and the same app instance
serving again once the database is back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from tests.clock import FakeClock
from tests.databases import count_rows
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
from tests.wallet.conftest import make_settings
from wallet_api.api.app import create_app
from wallet_api.db import PG_CONNECT_TIMEOUT_SECONDS, create_engine_for
from wallet_api.models import Account, SessionToken

CANARY_NAME = "金丝雀"
PASSWORD = "correct horse battery staple"
ACCOUNT = {"username": "canary", "password": PASSWORD, "display_name": CANARY_NAME}
LOGIN = {"username": "canary", "password": PASSWORD}
#: A login the database must be asked about (the schema is shared within this module).
UNKNOWN = {"username": "nobody-here", "password": PASSWORD}


def app_on(url: str, clock: FakeClock) -> tuple[Engine, FastAPI]:
    settings = make_settings(url, sqlite_busy_timeout_seconds=BUSY_TIMEOUT_SECONDS)
    engine = create_engine_for(settings)
    return engine, create_app(settings, engine=engine, clock=clock)


@pytest.fixture
def service(db_url: str, clock: FakeClock) -> Iterator[Service]:
    with service_through_outage(db_url, lambda url: app_on(url, clock)) as service:
        yield service


def test_a_registration_cut_off_is_a_clean_503_and_its_retry_is_stored_once(
    service: Service, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    client = service.client
    assert client.get("/v1/profiles").status_code == 200
    caplog.set_level(logging.INFO)
    with (
        record_database_errors(service.engine) as errors,
        service.outage.cut_at(service.engine, "INSERT INTO wallet_account"),
    ):
        response = client.post("/v1/accounts", json=ACCOUNT)
    assert_unavailable(response, CANARY_NAME, PASSWORD)
    assert errors, "the database did not fail"
    assert_no_personal_data([*errors, *log_texts(caplog.records)], CANARY_NAME, PASSWORD)

    service.outage.restore()
    assert count_rows(engine, Account) == 0
    assert client.post("/v1/accounts", json=ACCOUNT).status_code == 201
    assert client.post("/v1/accounts", json=ACCOUNT).status_code == 409  # stored once
    assert count_rows(engine, Account) == 1


def test_a_login_cut_off_leaves_no_session_and_reads_recover_without_restart(
    service: Service, engine: Engine
) -> None:
    client = service.client
    assert client.post("/v1/accounts", json=ACCOUNT).status_code == 201
    first = client.post("/v1/auth/login", data=LOGIN)
    assert first.status_code == 200, first.text
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}

    with service.outage.cut_at(service.engine, "INSERT INTO wallet_session"):
        assert_unavailable(client.post("/v1/auth/login", data=LOGIN), PASSWORD)
    for _ in range(2):
        assert_unavailable(client.get("/v1/permits", headers=headers))
        assert_unavailable(client.get("/v1/auth/session", headers=headers))

    service.outage.restore()
    assert count_rows(engine, SessionToken) == 1  # the interrupted login left no session
    assert client.get("/v1/permits", headers=headers).status_code == 200
    assert client.get("/v1/auth/session", headers=headers).status_code == 200
    assert client.post("/v1/auth/login", data=LOGIN).status_code == 200
    assert count_rows(engine, SessionToken) == 2


@pytest.mark.postgres
def test_a_database_that_never_answers_is_503_after_the_connect_timeout(
    postgres_schema_url: str, clock: FakeClock
) -> None:
    with (
        database_outage(postgres_schema_url) as outage,
        serving(*app_on(outage.url, clock)) as client,
    ):
        assert client.post("/v1/auth/login", data=UNKNOWN).status_code == 401
        outage.blackhole()
        assert_unavailable(client.post("/v1/auth/login", data=UNKNOWN), PASSWORD)
        outage.restore()
        assert client.post("/v1/auth/login", data=UNKNOWN).status_code == 401


@pytest.mark.postgres
def test_connects_carry_a_timeout_unless_the_url_sets_one(postgres_schema_url: str) -> None:
    check_connect_timeouts(
        postgres_schema_url,
        lambda url: create_engine_for(make_settings(url)),
        PG_CONNECT_TIMEOUT_SECONDS,
    )
