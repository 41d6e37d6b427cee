"""Token, nonce and credential endpoints: every refusal, in OAuth's error shape, changes nothing.

PINs (wrong, missing, unexpected, too many), single-use codes, tokens and nonces, and bad key
proofs (wrong audience, stale, small-order key, reused nonce) — after each refusal the wallet
can still complete the flow.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer.models import (
    AccessToken,
    Application,
    CNonce,
    Credential,
    CredentialOffer,
    Permit,
)
from tests.clock import FakeClock
from tests.databases import count_rows
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.wallet import (
    ISSUER,
    MakeClient,
    access_token,
    approve,
    c_nonce,
    credential_request,
    holder_key,
    oauth_error,
    obtain,
    proof,
    redeem,
)
from wire.encoding import b64u_encode, json_dumps
from wire.oid4vci import hash_secret


class TestToken:
    def test_wrong_pin_is_counted_then_burns_the_offer(
        self,
        make_client: MakeClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        engine: Engine,
    ) -> None:
        client = make_client(tx_code_max_attempts=2)
        approved = approve(client, sessions, make_officer)
        code = approved.wire_offer.pre_authorized_code
        wrong = f"{(int(approved.offer['tx_code']) + 1) % 1_000_000:06d}"
        oauth_error(redeem(client, code, wrong), 400, "invalid_grant")
        with Session(engine) as session:
            assert session.exec(select(CredentialOffer)).one().tx_code_failures == 1
        oauth_error(redeem(client, code, wrong), 400, "invalid_grant")
        # Limit reached: even the right PIN is refused now, and nothing was issued.
        oauth_error(redeem(client, code, approved.offer["tx_code"]), 400, "invalid_grant")
        assert count_rows(engine, AccessToken) == 0

    def test_right_pin_after_a_wrong_one(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory
    ) -> None:
        approved = approve(client, sessions, make_officer)
        code = approved.wire_offer.pre_authorized_code
        oauth_error(redeem(client, code, "000000x"), 400, "invalid_grant")
        assert redeem(client, code, approved.offer["tx_code"]).status_code == 200

    def test_code_is_single_use(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory, engine: Engine
    ) -> None:
        approved = approve(client, sessions, make_officer)
        first = redeem(client, approved.wire_offer.pre_authorized_code, approved.offer["tx_code"])
        assert first.status_code == 200
        body = first.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 300
        again = redeem(client, approved.wire_offer.pre_authorized_code, approved.offer["tx_code"])
        oauth_error(again, 400, "invalid_grant")
        assert count_rows(engine, AccessToken) == 1
        with Session(engine) as session:
            offer = session.exec(select(CredentialOffer)).one()
            assert offer.redeemed
            assert offer.tx_code_failures == 0

    @pytest.mark.parametrize("case", ["missing", "unexpected"])
    def test_pin_presence(
        self,
        make_client: MakeClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        case: str,
    ) -> None:
        client = make_client(offer_tx_code=case == "missing")
        approved = approve(client, sessions, make_officer)
        tx_code = None if case == "missing" else "123456"
        response = redeem(client, approved.wire_offer.pre_authorized_code, tx_code)
        oauth_error(response, 400, "invalid_request")

    def test_unknown_and_expired_codes(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
    ) -> None:
        oauth_error(redeem(client, "A" * 43, "123456"), 400, "invalid_grant")
        approved = approve(client, sessions, make_officer)
        clock.advance(hours=24, seconds=1)
        response = redeem(
            client, approved.wire_offer.pre_authorized_code, approved.offer["tx_code"]
        )
        oauth_error(response, 400, "invalid_grant")

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
            (
                {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code"},
                "invalid_request",
            ),
            ({}, "invalid_request"),
        ],
    )
    def test_malformed_token_requests(
        self, client: TestClient, data: dict[str, str], error: str
    ) -> None:
        oauth_error(client.post("/issuer/token", data=data), 400, error)

    def test_repeated_parameter_and_json_body(self, client: TestClient) -> None:
        form = "grant_type=a&grant_type=b&pre-authorized_code=x"
        headers = {"content-type": "application/x-www-form-urlencoded"}
        oauth_error(
            client.post("/issuer/token", content=form, headers=headers), 400, "invalid_request"
        )
        oauth_error(client.post("/issuer/token", json={"grant_type": "x"}), 400, "invalid_request")


class TestNonceAndCredential:
    def test_nonces_are_fresh_and_not_cached(self, client: TestClient, engine: Engine) -> None:
        first, second = client.post("/issuer/nonce"), client.post("/issuer/nonce")
        assert first.headers["cache-control"] == "no-store"
        assert first.json()["c_nonce"] != second.json()["c_nonce"]
        with Session(engine) as session:
            stored = {row.nonce_hash for row in session.exec(select(CNonce))}
        assert stored == {
            hash_secret(first.json()["c_nonce"]),
            hash_secret(second.json()["c_nonce"]),
        }

    def test_missing_bad_used_and_expired_tokens(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
    ) -> None:
        key = holder_key()
        proofs = [proof(key, c_nonce(client), clock)]
        body = {"credential_configuration_id": "residence_permit_sd_jwt", "proofs": {"jwt": proofs}}
        response = client.post("/issuer/credential", json=body)
        oauth_error(response, 401, "invalid_token")
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        oauth_error(credential_request(client, "not-a-token", proofs), 401, "invalid_token")
        bad_scheme = client.post(
            "/issuer/credential", json=body, headers={"Authorization": "Basic eDp5"}
        )
        oauth_error(bad_scheme, 401, "invalid_token")

        approved = approve(client, sessions, make_officer)
        token = access_token(client, approved.offer)
        assert (
            credential_request(client, token, [proof(key, c_nonce(client), clock)]).status_code
            == 200
        )
        used = credential_request(client, token, [proof(key, c_nonce(client), clock)])
        oauth_error(used, 401, "invalid_token")

        other = approve(client, sessions, make_officer)
        late = access_token(client, other.offer)
        clock.advance(seconds=301)
        oauth_error(
            credential_request(client, late, [proof(key, c_nonce(client), clock)]),
            401,
            "invalid_token",
        )

    def small_order_proof(self, nonce: str, clock: FakeClock) -> str:
        identity = b64u_encode(bytes([1]) + bytes(31))  # the Ed25519 identity point
        header = {
            "alg": "EdDSA",
            "typ": "openid4vci-proof+jwt",
            "jwk": {"kty": "OKP", "crv": "Ed25519", "x": identity},
        }
        payload = {"aud": ISSUER, "iat": int(clock().timestamp()), "nonce": nonce}
        return ".".join(
            [
                b64u_encode(json_dumps(header)),
                b64u_encode(json_dumps(payload)),
                b64u_encode(bytes(64)),
            ]
        )

    @pytest.mark.parametrize(
        ("case", "error"),
        [
            ("wrong_aud", "invalid_proof"),
            ("stale", "invalid_proof"),
            ("small_order_key", "invalid_proof"),
            ("too_many", "invalid_proof"),
            ("same_key_twice", "invalid_proof"),
            ("unknown_nonce", "invalid_nonce"),
            ("expired_nonce", "invalid_nonce"),
            ("reused_nonce", "invalid_nonce"),
        ],
    )
    def test_bad_proofs_issue_nothing(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
        case: str,
        error: str,
    ) -> None:
        approved = approve(client, sessions, make_officer)
        token = access_token(client, approved.offer)
        key = holder_key()
        nonce = c_nonce(client)
        proofs: list[str]
        if case == "wrong_aud":
            proofs = [proof(key, nonce, clock, aud="https://elsewhere.example/issuer")]
        elif case == "stale":
            proofs = [proof(key, nonce, clock, age=301)]
        elif case == "small_order_key":
            proofs = [self.small_order_proof(nonce, clock)]
        elif case == "too_many":
            proofs = [proof(holder_key(), nonce, clock) for _ in range(6)]
        elif case == "same_key_twice":
            proofs = [proof(key, nonce, clock), proof(key, nonce, clock, age=1)]
        elif case == "unknown_nonce":
            proofs = [proof(key, "never-issued-nonce", clock)]
        elif case == "expired_nonce":
            clock.advance(seconds=301)  # the nonce (and the first access token) expired
            token = access_token(client, approve(client, sessions, make_officer).offer)
            proofs = [proof(key, nonce, clock)]
        else:
            other = approve(client, sessions, make_officer)
            first = access_token(client, other.offer)
            assert credential_request(client, first, [proof(key, nonce, clock)]).status_code == 200
            proofs = [proof(holder_key(), nonce, clock)]
        before = count_rows(engine, Credential)
        oauth_error(credential_request(client, token, proofs), 400, error)
        assert count_rows(engine, Credential) == before
        with Session(engine) as session:
            application = session.get(Application, uuid.UUID(approved.application_id))
            assert application is not None
            assert application.state == "approved"
        # The token was not used up: a good request with a fresh nonce succeeds.
        retry = credential_request(client, token, [proof(holder_key(), c_nonce(client), clock)])
        assert retry.status_code == 200, retry.text

    @pytest.mark.parametrize(
        ("body", "error"),
        [
            (b"{not json", "invalid_credential_request"),
            (
                b'{"credential_configuration_id": "other", "proofs": {"jwt": ["a.b.c"]}}',
                "unknown_credential_configuration",
            ),
            (b'{"credential_configuration_id": "residence_permit_sd_jwt"}', "invalid_proof"),
            (b'{"format": "dc+sd-jwt"}', "invalid_credential_request"),
        ],
    )
    def test_malformed_credential_requests(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        body: bytes,
        error: str,
    ) -> None:
        token = access_token(client, approve(client, sessions, make_officer).offer)
        response = client.post(
            "/issuer/credential",
            content=body,
            headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        oauth_error(response, 400, error)

    def test_suspended_permit_gets_no_new_copy(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
    ) -> None:
        approved = approve(client, sessions, make_officer)
        obtain(client, approved.offer, [holder_key()], clock)
        reissued = client.post(
            f"/v1/applications/{approved.application_id}/offer", headers=approved.headers
        )
        assert reissued.status_code == 201
        with Session(engine) as session:
            permit = session.exec(select(Permit)).one()
            permit.state = "suspended"
            session.add(permit)
            session.commit()
        token = access_token(client, reissued.json())
        response = credential_request(client, token, [proof(holder_key(), c_nonce(client), clock)])
        oauth_error(response, 400, "credential_request_denied")
