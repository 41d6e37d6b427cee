"""Receiving permits over OpenID4VCI through the API: offers, PINs, twice, renewals."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.clock import FakeClock
from tests.wallet.conftest import Holders, receive
from tests.wallet.fake_issuer import FakeIssuer
from wallet_api.api.app import create_app
from wallet_api.db import session_scope
from wallet_api.models import Account, CredentialCopy, OfferRedemption, WalletPermit
from wallet_api.qr import qr_png
from wallet_api.settings import WalletSettings
from wire.oid4vci import hash_secret


def _copies(engine: Engine) -> list[CredentialCopy]:
    with Session(engine) as session:
        return list(session.exec(select(CredentialCopy)).all())


def test_redeem_offer_stores_one_encrypted_copy_per_key(
    client: TestClient, holders: Holders, fake: FakeIssuer, engine: Engine
) -> None:
    holder = holders()
    uri, pin = fake.offer()
    response = client.post(
        "/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["copies"] == 5
    assert body["renewed"] is False
    assert body["replaced"] == 0
    copies = _copies(engine)
    assert len(copies) == 5
    assert {c.slot for c in copies} == set(range(5))
    for copy in copies:
        assert copy.holder_key is not None
        assert b"ENCRYPTED PRIVATE KEY" in copy.holder_key
        assert b"eyJ" not in copy.credential
        assert "李梅".encode() not in copy.credential
    # five proofs, five distinct holder keys: the issuer saw five different cnf keys
    assert len({str(c) for _, c, _ in fake.issued}) == 1
    assert len(fake.issued) == 5


def test_listed_permit_shows_claims_and_status(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    listed = client.get("/v1/permits", headers=holder.headers).json()
    assert [p["id"] for p in listed] == [permit_id]
    assert listed[0]["name"] == "李梅"
    assert listed[0]["status"] == "valid"
    assert listed[0]["due_for_endorsement"] is False
    assert listed[0]["copies"] == 5
    fake.set_status(2)
    detail = client.get(f"/v1/permits/{permit_id}", headers=holder.headers).json()
    assert detail["status"] == "valid"  # cached for the token's ttl
    assert detail["claims"]["residence_address"]["district"] == "徐汇区"


def test_offer_redeemed_twice_is_refused_and_nothing_stored_twice(
    client: TestClient, holders: Holders, fake: FakeIssuer, engine: Engine
) -> None:
    holder = holders()
    uri, pin = fake.offer()
    first = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers)
    assert first.status_code == 201
    again = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "offer_already_redeemed"
    other = holders()
    stolen = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=other.headers)
    assert stolen.status_code == 409
    assert len(_copies(engine)) == 5
    with Session(engine) as session:
        assert len(session.exec(select(WalletPermit)).all()) == 1
        assert [r.state for r in session.exec(select(OfferRedemption)).all()] == ["redeemed"]


def test_wrong_pin_can_be_retried(
    client: TestClient, holders: Holders, fake: FakeIssuer, engine: Engine
) -> None:
    holder = holders()
    uri, pin = fake.offer()
    assert pin is not None
    wrong = "000000" if pin != "000000" else "111111"
    # the fake burns the code on a wrong PIN? No: it only refuses; the wallet releases its hold
    fake_offer = next(iter(fake.offers.values()))
    response = client.post(
        "/v1/offers", json={"offer": uri, "tx_code": wrong}, headers=holder.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "issuer_refused"
    assert response.json()["issuer_error"] == "invalid_grant"
    assert not fake_offer.redeemed
    assert _copies(engine) == []
    ok = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers)
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("tx_code", "field"),
    [(None, "tx_code"), ("12345", "tx_code"), ("abcdef", "tx_code")],
)
def test_pin_is_checked_before_contacting_the_issuer(
    client: TestClient, holders: Holders, fake: FakeIssuer, tx_code: str | None, field: str
) -> None:
    holder = holders()
    uri, _ = fake.offer()
    response = client.post(
        "/v1/offers", json={"offer": uri, "tx_code": tx_code}, headers=holder.headers
    )
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not next(iter(fake.offers.values())).redeemed


def test_renewal_replaces_the_old_copies(
    client: TestClient, holders: Holders, fake: FakeIssuer, engine: Engine
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    old = {c.id for c in _copies(engine)}
    uri, pin = fake.offer(endorsed_until="2028-03-02")
    response = client.post(
        "/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers
    )
    assert response.status_code == 201
    body = response.json()
    assert body == {"permit_id": permit_id, "copies": 5, "replaced": 5, "renewed": True}
    now = {c.id for c in _copies(engine)}
    assert len(now) == 5
    assert not (now & old)
    listed = client.get("/v1/permits", headers=holder.headers).json()
    assert len(listed) == 1
    assert listed[0]["endorsed_until"] == "2028-03-02"


def test_a_different_permit_is_a_second_entry(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    receive(client, holder, fake)
    receive(client, holder, fake, permit_no="310104202600000002")
    assert len(client.get("/v1/permits", headers=holder.headers).json()) == 2


def test_inspect_and_redeem_from_a_qr_image(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    uri, pin = fake.offer()
    info = client.post("/v1/offers/inspect", json={"offer": uri}, headers=holder.headers).json()
    assert info["credential_issuer"] == "http://127.0.0.1:9000/issuer"
    assert info["tx_code_required"] is True
    assert info["tx_code_length"] == 6
    assert not next(iter(fake.offers.values())).redeemed  # inspecting contacts nobody
    image = io.BytesIO(qr_png(uri))
    response = client.post(
        "/v1/offers/image",
        files={"image": ("offer.png", image, "image/png")},
        data={"tx_code": pin or ""},
        headers=holder.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["copies"] == 5


@pytest.mark.parametrize(
    "offer",
    [
        "not an offer",
        "openid-credential-offer://?credential_offer=%7B%7D",
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx.example%2Fo",
        "https://evil.example/offer",
    ],
)
def test_bad_offers_are_refused(client: TestClient, holders: Holders, offer: str) -> None:
    holder = holders()
    response = client.post("/v1/offers", json={"offer": offer}, headers=holder.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_credential_offer"


def test_untrusted_issuer_is_refused(
    settings: WalletSettings,
    engine: Engine,
    clock: FakeClock,
    outside: TestClient,
    fake: FakeIssuer,
) -> None:
    strict = settings.model_copy(update={"trusted_issuers": ("https://permits.sh.example/issuer",)})
    with TestClient(create_app(strict, engine=engine, clock=clock, http_client=outside)) as app:
        holder = Holders(app)()
        uri, pin = fake.offer()
        response = app.post(
            "/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers
        )
    assert response.status_code == 422
    assert response.json()["code"] == "untrusted_issuer"
    assert fake.tokens == {}


def test_offer_being_redeemed_elsewhere_is_refused_until_stale(
    client: TestClient, holders: Holders, fake: FakeIssuer, engine: Engine, clock: FakeClock
) -> None:
    holder = holders()
    uri, pin = fake.offer()
    code = next(iter(fake.offers))
    with session_scope(engine) as session:
        account = session.exec(select(Account)).one()
        session.add(
            OfferRedemption(
                code_hash=hash_secret(code),
                account_id=account.id,
                state="pending",
                reserved_at=clock(),
            )
        )
    busy = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers)
    assert busy.status_code == 409
    assert busy.json()["code"] == "offer_in_progress"
    clock.advance(seconds=121)
    holder = holders.login(holder.username)
    done = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers)
    assert done.status_code == 201


def test_issuer_down_stores_nothing_and_releases_the_offer(
    client: TestClient, holders: Holders, fake: FakeIssuer, engine: Engine
) -> None:
    holder = holders()
    uri, pin = fake.offer()
    fake.broken_metadata = True
    failed = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers)
    assert failed.status_code == 502
    assert _copies(engine) == []
    fake.broken_metadata = False
    again = client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=holder.headers)
    assert again.status_code == 201, again.text
