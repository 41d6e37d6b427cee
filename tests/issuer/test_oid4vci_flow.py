"""OpenID4VCI pre-authorized code flow end to end: offer, token, nonce, credential, verification.

Every credential the issuer hands out is verified by the real verification pipeline with a
trust list built from the issuer's published JWKS and its live status endpoint.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer.audit import verify_stored_chain
from issuer.models import (
    Application,
    AuditEvent,
    Credential,
    Permit,
)
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import id_number
from tests.issuer.wallet import (
    CHENGDU_TEMPORARY,
    ISSUER,
    Approved,
    MakeClient,
    approve,
    holder_key,
    obtain,
    offer_of,
    payload_of,
    verify,
)
from wire.jwk import public_jwk, thumbprint
from wire.oid4vci import AuthorizationServerMetadata, IssuerMetadata


class TestMetadata:
    def test_discovery_documents(self, client: TestClient) -> None:
        issuer = client.get("/.well-known/openid-credential-issuer/issuer")
        assert issuer.status_code == 200
        parsed = IssuerMetadata.from_json(
            issuer.content, credential_issuer=ISSUER, allow_insecure_loopback=True
        )
        assert parsed.credential_endpoint == f"{ISSUER}/credential"
        assert parsed.nonce_endpoint == f"{ISSUER}/nonce"
        assert parsed.batch_size == 5
        server = client.get("/.well-known/oauth-authorization-server/issuer")
        assert server.status_code == 200
        as_meta = AuthorizationServerMetadata.from_json(
            server.content, issuer=ISSUER, allow_insecure_loopback=True
        )
        assert as_meta.token_endpoint == f"{ISSUER}/token"
        assert as_meta.anonymous_access

    def test_jwt_vc_issuer_publishes_the_ring(self, client: TestClient) -> None:
        body = client.get("/.well-known/jwt-vc-issuer/issuer").json()
        ring = client.app.state.signing_ring  # type: ignore[attr-defined]
        assert body == {"issuer": ISSUER, "jwks": ring.jwks()}
        assert all("d" not in key for key in body["jwks"]["keys"])

    def test_no_well_known_without_the_issuer_path(self, client: TestClient) -> None:
        assert client.get("/.well-known/jwt-vc-issuer").status_code == 404


class TestIssuance:
    @pytest.mark.parametrize("copies", [1, 3])
    def test_full_flow_with_pin(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
        copies: int,
    ) -> None:
        approved = approve(client, sessions, make_officer)
        assert re.fullmatch(r"[0-9]{6}", approved.offer["tx_code"])
        assert approved.wire_offer.tx_code is not None
        keys = [holder_key("EdDSA" if i % 2 else "ES256") for i in range(copies)]
        credentials = obtain(client, approved.offer, keys, clock)
        assert len(credentials) == copies

        references = set()
        for credential, key in zip(credentials, keys, strict=True):
            result = verify(client, credential, key, clock)
            assert (result.valid, result.reason, result.status) == (True, None, "valid")
            payload = payload_of(credential)
            assert payload["iss"] == ISSUER
            assert payload["cnf"]["jwk"] == public_jwk(key)
            reference = payload["status"]["status_list"]
            assert reference["uri"].startswith("http://127.0.0.1:8000/status/")
            references.add((reference["uri"], reference["idx"]))
        assert len(references) == copies  # each copy its own status entry

        claims = verify(client, credentials[0], keys[0], clock).claims
        assert re.fullmatch(r"3101042026[0-9]{6}", claims["permit_no"])
        assert claims["endorsed_until"] == "2027-03-02"
        with Session(engine) as session:
            application = session.get(Application, uuid.UUID(approved.application_id))
            assert application is not None
            assert application.state == "issued"
            permit = session.exec(select(Permit)).one()
            assert (permit.permit_class, permit.issuing_authority) == ("standard", "上海市公安局")
            assert (permit.first_issued, permit.endorsed_until) == (
                date(2026, 3, 2),
                date(2027, 3, 2),
            )
            rows = session.exec(select(Credential)).all()
            assert {row.holder_jkt for row in rows} == {thumbprint(public_jwk(k)) for k in keys}
            assert verify_stored_chain(session).ok

    def test_every_claim_of_design_section_2(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
    ) -> None:
        approved = approve(
            client,
            sessions,
            make_officer,
            **CHENGDU_TEMPORARY,
            id_number=id_number("19600301", sex="M", region="510104"),
        )
        key = holder_key()
        [credential] = obtain(client, approved.offer, [key], clock)
        claims = verify(client, credential, key, clock, paths=()).claims
        assert claims == {}  # nothing disclosed, still valid
        payload = payload_of(credential)
        assert payload["permit_class"] == "temporary"
        assert payload["issuing_authority"] == "成都市公安局"
        assert (payload["age_over_18"], payload["age_over_60"]) == (True, True)  # 66 today
        assert payload["first_issued"] == "2026-03-02"
        assert payload["residence_address"]["district"] == "锦江区"
        assert payload["sex"] == "M"

    def test_flow_without_pin(
        self,
        make_client: MakeClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
    ) -> None:
        client = make_client(offer_tx_code=False)
        approved = approve(client, sessions, make_officer)
        assert approved.offer["tx_code"] is None
        assert approved.offer["tx_code_required"] is False
        assert approved.wire_offer.tx_code is None
        key = holder_key()
        [credential] = obtain(client, approved.offer, [key], clock)
        assert verify(client, credential, key, clock).valid

    def test_first_issued_follows_the_first_permit(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
    ) -> None:
        first = approve(client, sessions, make_officer)
        obtain(client, first.offer, [holder_key()], clock)
        clock.advance(days=400)
        second = approve(client, sessions, make_officer)
        [credential] = obtain(client, second.offer, [holder_key()], clock)
        payload = payload_of(credential)
        assert payload["first_issued"] == "2026-03-02"
        assert payload["endorsed_until"] == "2028-04-06"
        assert payload["permit_no"].startswith("3101042027")


def test_audit_log_holds_references_only(
    client: TestClient,
    sessions: Sessions,
    make_officer: OfficerFactory,
    clock: FakeClock,
    engine: Engine,
) -> None:
    approved: Approved = approve(client, sessions, make_officer)
    obtain(client, approved.offer, [holder_key()], clock)
    with Session(engine) as session:
        events = session.exec(select(AuditEvent)).all()
        assert verify_stored_chain(session).ok
    actions = [event.action for event in events]
    assert actions[-4:] == [
        "application.approve",
        "offer.create",
        "application.issue",
        "permit.create",
    ]
    text = repr([(e.actor, e.refs) for e in events])
    assert "李梅" not in text
    assert id_number() not in text
    assert offer_of(approved.offer["offer_uri"]).pre_authorized_code not in text
