"""Credential offers as URI and QR code, for officers (with PIN) and applicants (without)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.wallet import (
    approve,
    holder_key,
    oauth_error,
    obtain,
    redeem,
)


class TestOffers:
    def test_officer_and_applicant_views(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory
    ) -> None:
        from verifier.qrimage import decode_qr_image

        approved = approve(client, sessions, make_officer)
        base = f"/v1/applications/{approved.application_id}"
        officer = client.get(f"{base}/offer", headers=approved.headers)
        assert officer.status_code == 200
        assert officer.json() == approved.offer
        qr = client.get(f"{base}/offer/qr", headers=approved.headers)
        assert qr.headers["content-type"] == "image/png"
        assert decode_qr_image(qr.content) == approved.offer["offer_uri"]

        status = {"X-Status-Token": approved.status_token}
        applicant = client.get(f"{base}/status/offer", headers=status)
        assert applicant.status_code == 200
        assert applicant.json() == {**approved.offer, "tx_code": None}
        png = client.get(f"{base}/status/offer/qr", headers=status)
        assert decode_qr_image(png.content) == approved.offer["offer_uri"]

    def test_offer_access_rules(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory
    ) -> None:
        from tests.issuer.helpers import assert_problem

        approved = approve(client, sessions, make_officer)
        base = f"/v1/applications/{approved.application_id}"
        assert_problem(client.get(f"{base}/offer"), 401, "unauthenticated")
        auditor = sessions.headers(make_officer("auditor"))
        assert_problem(client.get(f"{base}/offer", headers=auditor), 403, "forbidden")
        assert_problem(client.post(f"{base}/offer", headers=auditor), 403, "forbidden")
        elsewhere = sessions.headers(make_officer("clerk", "chengdu"))
        assert_problem(client.get(f"{base}/offer/qr", headers=elsewhere), 403, "forbidden")
        wrong = {"X-Status-Token": "not-the-token"}
        assert_problem(client.get(f"{base}/status/offer", headers=wrong), 404, "not_found")
        assert_problem(
            client.get(f"{base}/status/offer"), 422, "invalid_input", field="X-Status-Token"
        )
        unknown = f"/v1/applications/{uuid.uuid4()}/offer"
        assert_problem(client.get(unknown, headers=approved.headers), 404, "not_found")
        assert_problem(
            client.get("/v1/applications/nope/offer", headers=approved.headers),
            422,
            "invalid_input",
            field="application_id",
        )

    def test_redeemed_offer_is_gone_and_reissue_replaces(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory, clock: FakeClock
    ) -> None:
        from tests.issuer.helpers import assert_problem

        approved = approve(client, sessions, make_officer)
        base = f"/v1/applications/{approved.application_id}"
        replaced = client.post(f"{base}/offer", headers=approved.headers)
        assert replaced.status_code == 201
        assert replaced.json()["offer_uri"] != approved.offer["offer_uri"]
        # The replaced offer's code no longer redeems.
        old = redeem(client, approved.wire_offer.pre_authorized_code, approved.offer["tx_code"])
        oauth_error(old, 400, "invalid_grant")
        obtain(client, replaced.json(), [holder_key()], clock)
        assert_problem(client.get(f"{base}/offer", headers=approved.headers), 404, "not_found")

    def test_rejected_application_gets_no_offer(
        self, client: TestClient, sessions: Sessions, make_officer: OfficerFactory
    ) -> None:
        from tests.issuer.helpers import assert_problem
        from tests.issuer.wallet import submit

        receipt = submit(client)
        headers = sessions.headers(make_officer("clerk"))
        base = f"/v1/applications/{receipt['application_id']}"
        client.post(f"{base}/reject", headers=headers, json={"reason": "documents forged"})
        assert_problem(client.post(f"{base}/offer", headers=headers), 409, "conflict")
        assert_problem(client.get(f"{base}/offer", headers=headers), 404, "not_found")
