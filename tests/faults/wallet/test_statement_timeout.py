"""The holder wallet with a PostgreSQL statement that never finishes: bounded, 503, nothing kept.

Another transaction holds a row the request must write or lock (``SELECT ... FOR UPDATE``, left
open): the holder's session row, which a logout deletes, or the holder's account row, which
the presentation history's insert must lock for its foreign key. With short timeouts in the
settings the server cancels the waiting statement — by ``lock_timeout`` (``LockNotAvailable``,
55P03), or with that off by ``statement_timeout`` (``QueryCanceled``, 57014) — and the request
answers 503 ``service_unavailable`` with ``Retry-After``, nothing about the database or the
holder in it, its transaction rolled back (no history row, the session still live). Reads do
not wait for row locks and keep working meanwhile; once the lock is released the retry
succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.clock import FakeClock
from tests.databases import count_rows
from tests.faults.outage import assert_unavailable
from tests.faults.outage_service import serving
from tests.servicekit.postgres import TIMEOUTS, Timeouts, held_lock, server_errors
from tests.wallet.conftest import Holders, make_settings, receive
from tests.wallet.fake_issuer import FakeIssuer, build_app
from wallet_api.api.app import create_app
from wallet_api.db import create_engine_for
from wallet_api.models import DisclosureEvent

pytestmark = [
    pytest.mark.postgres,
    # PostgreSQL only: SQLite's equivalent, a writer waiting past the busy timeout, is
    # test_database_outage.py's.
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

LOCK_ACCOUNT = "SELECT id FROM wallet_account WHERE username = :username FOR UPDATE"
LOCK_SESSIONS = (
    "SELECT s.token_hash FROM wallet_session AS s JOIN wallet_account AS a"
    " ON a.id = s.account_id WHERE a.username = :username FOR UPDATE OF s"
)


@pytest.fixture(params=TIMEOUTS)
def timeouts(request: pytest.FixtureRequest) -> Timeouts:
    given: Timeouts = request.param
    return given


@pytest.fixture
def fake(clock: FakeClock) -> FakeIssuer:
    return FakeIssuer(clock)


@pytest.fixture
def service(
    db_url: str, clock: FakeClock, fake: FakeIssuer, timeouts: Timeouts
) -> Iterator[tuple[TestClient, Engine]]:
    """The wallet app on its own engine, with the short timeouts of the parametrisation."""
    settings = make_settings(db_url, **timeouts.settings)
    engine = create_engine_for(settings)
    with TestClient(build_app(fake), raise_server_exceptions=True) as outside:
        app = create_app(settings, engine=engine, clock=clock, http_client=outside)
        with serving(engine, app) as client:
            yield client, engine


def test_a_presentation_stuck_behind_a_lock_is_503_and_records_no_history(
    service: tuple[TestClient, Engine], engine: Engine, fake: FakeIssuer, timeouts: Timeouts
) -> None:
    client, app_engine = service
    holder = Holders(client)()
    url = f"/v1/permits/{receive(client, holder, fake)}/presentations"

    with (
        held_lock(engine, LOCK_ACCOUNT, username=holder.username),
        server_errors(app_engine) as errors,
    ):
        response = client.post(url, json={"profile": "landlord"}, headers=holder.headers)
        assert_unavailable(response, holder.username)
        assert response.headers["cache-control"] == "no-store"
        assert client.get("/v1/permits", headers=holder.headers).status_code == 200
    assert [type(error) for error in errors] == [timeouts.error]
    assert count_rows(engine, DisclosureEvent) == 0

    retry = client.post(url, json={"profile": "landlord"}, headers=holder.headers)
    assert retry.status_code == 200, retry.text
    assert count_rows(engine, DisclosureEvent) == 1


def test_a_logout_stuck_behind_a_lock_is_503_and_the_session_stays_live(
    service: tuple[TestClient, Engine], engine: Engine, timeouts: Timeouts
) -> None:
    client, app_engine = service
    holder = Holders(client)()

    with (
        held_lock(engine, LOCK_SESSIONS, username=holder.username),
        server_errors(app_engine) as errors,
    ):
        assert_unavailable(client.post("/v1/auth/logout", headers=holder.headers))
        assert client.get("/v1/auth/session", headers=holder.headers).status_code == 200
    assert [type(error) for error in errors] == [timeouts.error]
    assert client.get("/v1/auth/session", headers=holder.headers).status_code == 200

    assert client.post("/v1/auth/logout", headers=holder.headers).status_code == 204
    assert client.get("/v1/auth/session", headers=holder.headers).status_code == 401
