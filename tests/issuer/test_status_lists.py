"""Status lists: allocation, publishing, serving with HTTP caching, and status changes.

The one wall-clock bound in the suite lives here: a suspension must be visible in the served
token within one second. It is tested by polling with a deadline (a functional bound on when
the change shows, not a performance measurement).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.db import session_scope
from issuer.models import Credential, StatusAllocation, StatusList
from issuer.services.status_lists import allocate_index, set_entries, status_list_prefix
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions, make_settings
from tests.issuer.helpers import assert_problem
from tests.issuer.permit_helpers import publisher_of
from tests.issuer.wallet import ISSUER, Issued, MakeClient, issue_permit, served_status, verify
from wire.errors import Malformed
from wire.jws import parse_compact


@pytest.fixture
def issued(
    client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
) -> Issued:
    return issue_permit(client, sessions, make_officer, clock, copies=2)


def supervisor_headers(sessions: Sessions, make_officer: OfficerFactory) -> dict[str, str]:
    return sessions.headers(make_officer("supervisor"), mfa=True)


def wait_for_status(client: TestClient, uri: str, idx: int, clock: FakeClock, want: int) -> None:
    """Poll the served token until entry ``idx`` reads ``want``; fail after one second."""
    deadline = time.monotonic() + 1.0
    while True:
        if served_status(client, uri, idx, int(clock().timestamp())) == want:
            return
        assert time.monotonic() < deadline, "status change not visible within one second"
        time.sleep(0.02)


def token_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    jws = parse_compact(token, Malformed)
    return jws.header, jws.payload


class TestServing:
    def test_token_claims_and_headers(
        self, client: TestClient, issued: Issued, clock: FakeClock
    ) -> None:
        uri, _ = issued.status_ref
        assert uri == "http://127.0.0.1:8000/status/1"
        response = client.get("/status/1")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/statuslist+jwt"
        assert response.headers["cache-control"] == "max-age=300"
        assert response.headers["etag"].startswith('"')
        header, claims = token_claims(response.text)
        ring = client.app.state.signing_ring  # type: ignore[attr-defined]
        assert header == {"alg": "ES256", "typ": "statuslist+jwt", "kid": ring.active_kid}
        now = int(clock().timestamp())
        assert claims["sub"] == uri
        assert claims["iss"] == ISSUER
        assert (claims["iat"], claims["exp"], claims["ttl"]) == (now, now + 86_400, 300)
        assert claims["status_list"]["bits"] == 2

    def test_etag_and_304(self, client: TestClient, issued: Issued) -> None:
        first = client.get("/status/1")
        etag = first.headers["etag"]
        again = client.get("/status/1", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "max-age=300"
        assert (
            client.get("/status/1", headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
        )
        assert client.get("/status/1", headers={"If-None-Match": '"stale"'}).status_code == 200

    def test_not_rebuilt_per_request(
        self, client: TestClient, issued: Issued, clock: FakeClock, engine: Engine
    ) -> None:
        first = client.get("/status/1").text
        clock.advance(seconds=30)
        assert client.get("/status/1").text == first  # same iat: served as stored
        with Session(engine) as session:
            row = session.get(StatusList, 1)
            assert row is not None
            built = row.built_at
        clock.advance(seconds=30)
        client.get("/status/1")
        with Session(engine) as session:
            row = session.get(StatusList, 1)
            assert row is not None
            assert row.built_at == built

    def test_unknown_and_malformed_list_ids(self, client: TestClient) -> None:
        assert_problem(client.get("/status/999"), 404, "not_found")
        assert_problem(client.get("/status/abc"), 422, "invalid_input", field="list_id")
        assert_problem(client.get("/status/0"), 422, "invalid_input", field="list_id")

    def test_prefix_for_the_trust_list(self, settings: IssuerSettings) -> None:
        assert status_list_prefix(settings) == "http://127.0.0.1:8000/status/"


class TestStatusChanges:
    def test_suspend_reinstate_revoke_reach_the_served_token(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
    ) -> None:
        headers = supervisor_headers(sessions, make_officer)
        base = f"/v1/permits/{issued.permit_id}"
        refs = [issued.status_ref, (issued.status_ref[0], _idx(issued, 1))]
        etag = client.get("/status/1").headers["etag"]

        assert (
            client.post(
                f"{base}/suspend", headers=headers, json={"reason": "fraud check"}
            ).status_code
            == 200
        )
        for uri, idx in refs:
            wait_for_status(client, uri, idx, clock, 2)
        assert client.get("/status/1", headers={"If-None-Match": etag}).status_code == 200
        result = verify(client, issued.credentials[0], issued.keys[0], clock)
        assert (result.valid, result.reason) == (False, "suspended")

        assert (
            client.post(
                f"{base}/reinstate", headers=headers, json={"reason": "cleared"}
            ).status_code
            == 200
        )
        for uri, idx in refs:
            wait_for_status(client, uri, idx, clock, 0)
        assert verify(client, issued.credentials[1], issued.keys[1], clock).valid

        assert (
            client.post(
                f"{base}/revoke", headers=headers, json={"reason": "left the city"}
            ).status_code
            == 200
        )
        for uri, idx in refs:
            wait_for_status(client, uri, idx, clock, 1)
        result = verify(client, issued.credentials[0], issued.keys[0], clock)
        assert (result.valid, result.reason) == (False, "revoked")

        revoked_token = client.get("/status/1").text
        for move in ("suspend", "reinstate", "revoke"):
            response = client.post(f"{base}/{move}", headers=headers, json={"reason": "again"})
            assert_problem(response, 409, "conflict")
        assert client.get("/status/1").text == revoked_token

    def test_changes_from_elsewhere_reach_the_token_too(
        self, client: TestClient, issued: Issued, engine: Engine, clock: FakeClock
    ) -> None:
        """A change committed by another process (no post-commit hook here) is still served."""
        uri, idx = issued.status_ref
        client.get("/status/1")
        with session_scope(engine) as session:
            set_entries(session=session, entries=[(1, idx)], value=2, now=clock())
        wait_for_status(client, uri, idx, clock, 2)

    def test_background_refresher_publishes(
        self,
        make_client: MakeClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
    ) -> None:
        client = make_client(status_refresh_seconds=0.05)
        issued = issue_permit(client, sessions, make_officer, clock)
        _, idx = issued.status_ref
        with session_scope(engine) as session:
            set_entries(session=session, entries=[(1, idx)], value=1, now=clock())
        deadline = time.monotonic() + 5.0
        while True:  # no request touches the list: only the thread can rebuild it
            with Session(engine) as session:
                row = session.get(StatusList, 1)
                assert row is not None
                if not row.dirty and row.token is not None:
                    break
            assert time.monotonic() < deadline, "the refresher did not rebuild the list"
            time.sleep(0.02)


def _idx(issued: Issued, copy: int) -> int:
    from tests.issuer.wallet import status_ref

    return status_ref(issued.credentials[copy])[1]


class TestRefresher:
    def test_re_signs_at_half_life_only(
        self, client: TestClient, issued: Issued, clock: FakeClock
    ) -> None:
        publisher = publisher_of(client)
        publisher.publish()
        first = client.get("/status/1").text
        clock.advance(hours=11)
        assert publisher.refresh().rebuilt == 0
        assert client.get("/status/1").text == first
        clock.advance(hours=2)
        assert publisher.refresh().rebuilt == 1
        _, claims = token_claims(client.get("/status/1").text)
        assert claims["iat"] == int(clock().timestamp())

    def test_key_rotation_re_signs(
        self,
        make_client: MakeClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
    ) -> None:
        old = KeyRing.generate()
        issued = issue_permit(make_client(ring=old), sessions, make_officer, clock)
        rotated = old.rotate(KeyRing.generate("EdDSA").active_key)
        client = make_client(ring=rotated)
        header, _ = token_claims(client.get("/status/1").text)
        assert header["kid"] == rotated.active_kid
        # Credentials signed by the old key still verify: it stays in the published JWKS.
        assert verify(client, issued.credentials[0], issued.keys[0], clock).valid


class TestAllocation:
    def test_indices_unique_and_lists_open_at_ninety_percent(
        self, db_url: str, engine: Engine, clock: FakeClock
    ) -> None:
        settings = make_settings(db_url, status_list_size=1024)
        with session_scope(engine) as session:
            refs = [
                allocate_index(session=session, settings=settings, now=clock()) for _ in range(2000)
            ]
        pairs = {(ref.list_id, ref.idx) for ref in refs}
        assert len(pairs) == 2000
        assert all(0 <= ref.idx < 1024 for ref in refs)
        with Session(engine) as session:
            lists = session.exec(select(StatusList).order_by(col(StatusList.id))).all()
            rows = session.exec(
                select(StatusAllocation.list_id, func.count()).group_by(
                    col(StatusAllocation.list_id)
                )
            ).all()
        assert [row.id for row in lists] == [1, 2, 3]
        assert dict(rows) == {row.id: row.allocated for row in lists}
        assert all(row.allocated <= 922 for row in lists)
        assert [row.uri for row in lists] == [
            f"http://127.0.0.1:8000/status/{i}" for i in (1, 2, 3)
        ]

    def test_a_clash_draws_again(
        self, settings: IssuerSettings, engine: Engine, clock: FakeClock
    ) -> None:
        draws = iter([5, 5, 5, 7])
        with session_scope(engine) as session:
            first = allocate_index(
                session=session, settings=settings, now=clock(), randbelow=lambda _: next(draws)
            )
            second = allocate_index(
                session=session, settings=settings, now=clock(), randbelow=lambda _: next(draws)
            )
        assert (first.idx, second.idx) == (5, 7)

    def test_many_issued_copies_never_share_an_index(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
    ) -> None:
        for _ in range(8):
            issue_permit(client, sessions, make_officer, clock, copies=3)
        with Session(engine) as session:
            rows = session.exec(select(Credential.status_list_id, Credential.status_idx)).all()
        assert len(rows) == 24
        assert len(set(rows)) == 24


def test_ids_are_random(settings: IssuerSettings, engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        indices = [
            allocate_index(session=session, settings=settings, now=clock()).idx for _ in range(50)
        ]
    assert indices != sorted(indices)
    assert len({i // 4096 for i in indices}) > 5  # spread over the list, not clustered
