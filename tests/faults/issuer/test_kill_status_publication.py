"""kill -9 of the issuer while it changes and publishes a permit's status (issue 7 §4).

A real issuer process (uvicorn, :mod:`tests.faults.issuer_process`) takes a supervisor's
suspend, revoke or reinstate over HTTP and is killed with SIGKILL at the worst moment of that
change: inside its transaction (everything written, nothing committed), inside the rebuild of
the signed token after the change committed, or between that commit and the rebuild. A new
issuer then starts on the same database and the same key ring, and the tests check that

- the change is there exactly when it was committed: never half applied, never lost, and a
  retry applies it once (or is refused as already done);
- the token served for the list verifies, its entries are exactly the database's and its ETag
  is that of its own bytes: no half-written or stale token is served, and a verifier's
  conditional request with the ETag from before the crash gets the new token;
- the wallet's credential verifies end to end with the status the permit's state says;
- the audit chain verifies, with one event per transition.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from keys.ring import KeyRing
from tests.clock import FakeClock
from tests.faults.issuer.invariants import assert_audit_consistent, assert_status_consistent, moves
from tests.faults.killing import issuer_process
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import OfficerHandle, assert_problem, totp_now
from tests.issuer.wallet import Issued, issue_permit, verify

MakeClient = Callable[..., TestClient]
REASON = {"reason": "checked by the fault tests"}


@dataclass(frozen=True)
class Case:
    """One crash: the move, where the process dies, and whether the move had committed."""

    action: str
    point: str
    committed: bool
    before: str  # the permit's state before the move
    after: str  # ... and after it
    status: str  # the credential's status once the move is in force


CASES = [
    pytest.param(
        Case("suspend", "status-change", False, "active", "suspended", "suspended"),
        id="inside-the-suspend-transaction",
    ),
    pytest.param(
        Case("revoke", "status-publish", True, "active", "revoked", "revoked"),
        id="inside-the-token-rebuild-after-revoke",
    ),
    pytest.param(
        Case("reinstate", "status-committed", True, "suspended", "active", "valid"),
        id="between-the-reinstate-commit-and-the-rebuild",
    ),
]


def supervisor_login(http: httpx.Client, officer: OfficerHandle, clock: FakeClock) -> str:
    """A supervisor session with TOTP at the child's frozen clock."""
    form = {
        "username": officer.username,
        "password": officer.password,
        "totp": totp_now(officer.totp_secret, clock),
    }
    response = http.post("/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def status_move(
    client: TestClient, sessions: Sessions, make_officer: OfficerFactory, permit: str, action: str
) -> httpx.Response:
    headers = sessions.headers(make_officer("supervisor"), mfa=True)
    response: httpx.Response = client.post(
        f"/v1/permits/{permit}/{action}", json=REASON, headers=headers
    )
    return response


def permit_state(
    client: TestClient, sessions: Sessions, officer: OfficerHandle, permit: str
) -> str:
    response = client.get(f"/v1/permits/{permit}", headers=sessions.headers(officer))
    assert response.status_code == 200, response.text
    state: str = response.json()["state"]
    return state


@pytest.mark.parametrize("case", CASES)
def test_kill_9_during_a_status_change_loses_and_duplicates_nothing(
    db_url: str,
    engine: Engine,
    clock: FakeClock,
    make_client: MakeClient,
    make_officer: OfficerFactory,
    key_dir: Path,
    ring: KeyRing,
    case: Case,
) -> None:
    client = make_client(ring=ring)
    sessions = Sessions(client, clock)
    target: Issued = issue_permit(client, sessions, make_officer, clock, copies=2)
    bystander: Issued = issue_permit(client, sessions, make_officer, clock)
    # Other entries of the same list hold non-zero values: the rebuilt token must keep them.
    assert status_move(client, sessions, make_officer, bystander.permit_id, "suspend").is_success
    if case.before == "suspended":
        assert status_move(client, sessions, make_officer, target.permit_id, "suspend").is_success
    etag_before = client.get("/status/1").headers["etag"]
    clerk = make_officer("clerk")
    assert permit_state(client, sessions, clerk, target.permit_id) == case.before

    supervisor = make_officer("supervisor")
    with (
        issuer_process(db_url, key_dir, clock(), case.point) as child,
        child.http() as http,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        token = supervisor_login(http, supervisor, clock)
        answer = pool.submit(
            http.post,
            f"/v1/permits/{target.permit_id}/{case.action}",
            json=REASON,
            headers={"Authorization": f"Bearer {token}"},
        )
        child.wait_inside(case.point)
        child.kill_9()
        if case.committed:  # answered before the process died publishing it
            assert answer.result().status_code == 200
        else:
            with pytest.raises(httpx.TransportError):
                answer.result()

    # Restart: a new issuer on the same database and key ring.
    restarted = make_client(ring=ring)
    sessions = Sessions(restarted, clock)
    state = case.after if case.committed else case.before
    assert permit_state(restarted, sessions, clerk, target.permit_id) == state
    assert moves(engine, target.permit_id, case.action) == int(case.committed)
    assert_status_consistent(restarted, engine, ring, clock())
    assert_audit_consistent(engine)
    conditional = restarted.get("/status/1", headers={"If-None-Match": etag_before})
    assert conditional.status_code == (200 if case.committed else 304)

    retry = status_move(restarted, sessions, make_officer, target.permit_id, case.action)
    if case.committed:
        assert_problem(retry, 409, "conflict")  # already done: not applied twice
    else:
        assert retry.status_code == 200, retry.text
    assert moves(engine, target.permit_id, case.action) == 1
    assert permit_state(restarted, sessions, clerk, target.permit_id) == case.after
    assert_status_consistent(restarted, engine, ring, clock())
    assert_audit_consistent(engine)
    for credential, key in zip(target.credentials, target.keys, strict=True):
        result = verify(restarted, credential, key, clock)
        assert result.status == case.status, result
    assert verify(restarted, bystander.credentials[0], bystander.keys[0], clock).status == (
        "suspended"
    )
