"""The paper-credential endpoint of docs/wallet.md, end to end through the issuer's HTTP API.

A holder proves possession of a current phone copy (presentation disclosing ``permit_no``,
KB-JWT bound to the issuer and a fresh ``c_nonce``) and receives one credential without
``cnf``, which the real verification pipeline accepts for a paper profile and which follows
the permit's suspend and revoke.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import verify_stored_chain
from issuer.models import Credential
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.wallet import (
    ISSUER,
    ClientStatusLookup,
    Issued,
    c_nonce,
    holder_key,
    issue_permit,
    oauth_error,
    payload_of,
    trust_list,
)
from wire.jwk import PrivateKey
from wire.presentation import create_presentation
from wire.profiles import load_profiles
from wire.trust import status_uri_allowed
from wire.verify import VerificationResult, check_presentation

PATH = "/issuer/paper-credential"
PROFILES = load_profiles()


@pytest.fixture
def issued(
    client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
) -> Issued:
    return issue_permit(client, sessions, make_officer, clock, copies=2)


def proving(
    issued: Issued,
    nonce: str,
    clock: FakeClock,
    *,
    aud: str = ISSUER,
    key: PrivateKey | None = None,
    paths: tuple[str, ...] = ("permit_no",),
) -> str:
    return create_presentation(
        issued.credentials[0],
        list(paths),
        holder_key=key or issued.keys[0],
        audience=aud,
        nonce=nonce,
        iat=int(clock().timestamp()),
    )


def request_paper(client: TestClient, presentation: str) -> Any:
    return client.post(PATH, json={"presentation": presentation})


def paper_of(client: TestClient, issued: Issued, clock: FakeClock) -> str:
    response = request_paper(client, proving(issued, c_nonce(client), clock))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    [item] = response.json()["credentials"]
    credential: str = item["credential"]
    return credential


def check_paper(client: TestClient, credential: str, clock: FakeClock, profile: str) -> Any:
    now = int(clock().timestamp())
    presentation = create_presentation(credential, list(PROFILES[profile].claims), holder_key=None)
    result: VerificationResult = check_presentation(
        presentation,
        profile=PROFILES[profile],
        directory=trust_list(client),
        now=now,
        status_lookup=ClientStatusLookup(client),
        uri_allowed=lambda uri, prefixes: status_uri_allowed(
            uri, prefixes, allow_insecure_loopback=True
        ),
        audience="https://bank.example" if PROFILES[profile].verifier_bound else None,
        nonce="n" if PROFILES[profile].verifier_bound else None,
    )
    return result


def test_metadata_advertises_the_endpoint(client: TestClient) -> None:
    body = client.get("/.well-known/openid-credential-issuer/issuer").json()
    assert body["paper_credential_endpoint"] == f"{ISSUER}/paper-credential"


def test_paper_credential_issued_and_accepted_by_paper_profiles_only(
    client: TestClient, issued: Issued, clock: FakeClock, engine: Engine
) -> None:
    credential = paper_of(client, issued, clock)
    assert credential.endswith("~")
    payload = payload_of(credential)
    assert "cnf" not in payload
    assert payload["iss"] == ISSUER
    landlord = check_paper(client, credential, clock, "landlord")
    assert (landlord.valid, landlord.status) == (True, "valid"), landlord
    bank = check_paper(client, credential, clock, "bank")
    assert not bank.valid
    with Session(engine) as session:
        rows = session.exec(
            select(Credential).where(col(Credential.permit_id) == uuid.UUID(issued.permit_id))
        ).all()
        assert sorted(row.holder_jkt is None for row in rows) == [False, False, True]
        assert verify_stored_chain(session).ok


def test_nonce_is_single_use(client: TestClient, issued: Issued, clock: FakeClock) -> None:
    nonce = c_nonce(client)
    assert request_paper(client, proving(issued, nonce, clock)).status_code == 200
    again = request_paper(client, proving(issued, nonce, clock, key=issued.keys[0]))
    oauth_error(again, 400, "invalid_nonce")
    unknown = request_paper(client, proving(issued, "not-a-nonce-from-here", clock))
    oauth_error(unknown, 400, "invalid_nonce")


@pytest.mark.parametrize(
    ("aud", "paths"),
    [("https://other.example/issuer", ("permit_no",)), (ISSUER, ("name",))],
    ids=["wrong-audience", "permit-no-not-disclosed"],
)
def test_bad_presentation_is_invalid_proof(
    client: TestClient, issued: Issued, clock: FakeClock, aud: str, paths: tuple[str, ...]
) -> None:
    response = request_paper(client, proving(issued, c_nonce(client), clock, aud=aud, paths=paths))
    oauth_error(response, 400, "invalid_proof")


def test_wrong_holder_key_is_invalid_proof(
    client: TestClient, issued: Issued, clock: FakeClock
) -> None:
    response = request_paper(client, proving(issued, c_nonce(client), clock, key=holder_key()))
    oauth_error(response, 400, "invalid_proof")


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"presentation": 1}', b"not json", b'{"presentation": "' + b"a" * 70_000 + b'"}'],
    ids=["array", "not-string", "not-json", "too-large"],
)
def test_malformed_requests(client: TestClient, body: bytes) -> None:
    response = client.post(PATH, content=body, headers={"Content-Type": "application/json"})
    oauth_error(response, 400, "invalid_request")


def test_suspend_and_revoke_cover_the_paper_credential(
    client: TestClient,
    issued: Issued,
    clock: FakeClock,
    sessions: Sessions,
    make_officer: OfficerFactory,
) -> None:
    credential = paper_of(client, issued, clock)
    supervisor = sessions.headers(make_officer("supervisor"), mfa=True)
    base = f"/v1/permits/{issued.permit_id}"
    response = client.post(f"{base}/suspend", json={"reason": "check"}, headers=supervisor)
    assert response.status_code == 200, response.text
    assert check_paper(client, credential, clock, "landlord").status == "suspended"
    refused = request_paper(client, proving(issued, c_nonce(client), clock))
    oauth_error(refused, 400, "invalid_proof")
    response = client.post(f"{base}/revoke", json={"reason": "fraud"}, headers=supervisor)
    assert response.status_code == 200, response.text
    assert check_paper(client, credential, clock, "landlord").status == "revoked"


def test_a_new_paper_credential_retires_the_previous_one(
    client: TestClient, issued: Issued, clock: FakeClock, engine: Engine
) -> None:
    paper_of(client, issued, clock)
    clock.advance(minutes=1)  # created_at orders the two rows
    paper_of(client, issued, clock)
    with Session(engine) as session:
        papers = session.exec(
            select(Credential)
            .where(col(Credential.holder_jkt).is_(None))
            .order_by(col(Credential.created_at))
        ).all()
    assert len(papers) == 2
    assert papers[0].retired_at is not None
    assert papers[0].grace_until is not None
    assert papers[1].retired_at is None
