"""The wallet's OpenID4VCI client against the in-process fake issuer (no database)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from keys.generate import generate_private_key
from tests.clock import FakeClock
from tests.wallet.conftest import make_settings
from tests.wallet.fake_issuer import ISSUER, FakeIssuer, build_app
from wallet_api.errors import IssuerRefused, IssuerUnavailable, UntrustedIssuer
from wallet_api.oid4vci_client import IssuerClient
from wallet_api.outbound import Outbound, UrlRefused
from wallet_api.receipt import check_received
from wallet_api.services.receive import parse_offer
from wire.oid4vci import (
    CredentialOffer,
    InvalidCredentialOffer,
    InvalidIssuerResponse,
    parse_offer_uri,
)


@pytest.fixture
def fake() -> FakeIssuer:
    return FakeIssuer(FakeClock())


@pytest.fixture
def issuer_client(fake: FakeIssuer) -> Iterator[IssuerClient]:
    with TestClient(build_app(fake)) as http:
        yield IssuerClient(
            Outbound(http, allow_insecure_loopback=True), allow_insecure_loopback=True
        )


def _offer(fake: FakeIssuer, **kwargs: object) -> tuple[CredentialOffer, str | None]:
    uri, pin = fake.offer(**kwargs)  # type: ignore[arg-type]
    offer = parse_offer_uri(uri, allow_insecure_loopback=True)
    assert isinstance(offer, CredentialOffer)
    return offer, pin


def test_full_flow_with_batch_and_one_key_per_copy(
    fake: FakeIssuer, issuer_client: IssuerClient
) -> None:
    offer, pin = _offer(fake)
    discovery = issuer_client.discover(ISSUER)
    assert discovery.metadata.batch_size == 5
    assert discovery.paper_endpoint == f"{ISSUER}/paper-credential"
    token = issuer_client.token(discovery, offer, pin)
    keys = [generate_private_key() for _ in range(3)]
    credentials = issuer_client.credentials(discovery, token.access_token, keys, now=fake.now())
    assert len(credentials) == 3
    for key, credential in zip(keys, credentials, strict=True):
        checked = check_received(
            credential, issuer=ISSUER, jwks=discovery.jwks, holder_key=key, now=fake.now()
        )
        assert checked.permit_no == "310104202600000001"
    with pytest.raises(InvalidIssuerResponse):
        check_received(
            credentials[0], issuer=ISSUER, jwks=discovery.jwks, holder_key=keys[1], now=fake.now()
        )


def test_invalid_nonce_is_retried_once(fake: FakeIssuer, issuer_client: IssuerClient) -> None:
    offer, pin = _offer(fake)
    discovery = issuer_client.discover(ISSUER)
    token = issuer_client.token(discovery, offer, pin)
    fake.fail_nonce_once = True
    credentials = issuer_client.credentials(
        discovery, token.access_token, [generate_private_key("EdDSA")], now=fake.now()
    )
    assert len(credentials) == 1


def test_issuer_without_batch_gets_one_proof(fake: FakeIssuer, issuer_client: IssuerClient) -> None:
    fake.batch_size = 1
    discovery = issuer_client.discover(ISSUER)
    assert discovery.metadata.batch_size == 1


def test_used_code_and_wrong_pin_are_issuer_refusals(
    fake: FakeIssuer, issuer_client: IssuerClient
) -> None:
    offer, pin = _offer(fake)
    discovery = issuer_client.discover(ISSUER)
    with pytest.raises(IssuerRefused) as wrong:
        issuer_client.token(discovery, offer, "999999" if pin != "999999" else "000000")
    assert wrong.value.issuer_error == "invalid_grant"
    issuer_client.token(discovery, offer, pin)
    with pytest.raises(IssuerRefused):
        issuer_client.token(discovery, offer, pin)


def test_metadata_for_another_issuer_is_refused(fake: FakeIssuer) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = fake.metadata() | {"credential_issuer": "https://evil.example/issuer"}
        return httpx.Response(200, json=body)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = IssuerClient(
            Outbound(http, allow_insecure_loopback=True), allow_insecure_loopback=True
        )
        with pytest.raises(InvalidIssuerResponse):
            client.discover(ISSUER)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, text="oops"),
        httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
        httpx.Response(200, text="<html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, content=b"{" * 70000, headers={"Content-Type": "application/json"}),
        httpx.Response(400, json={"error": "made_up"}),
    ],
)
def test_unusable_answers_are_issuer_unavailable_or_invalid(response: httpx.Response) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda request: response)) as http:
        client = IssuerClient(
            Outbound(http, allow_insecure_loopback=True), allow_insecure_loopback=True
        )
        with pytest.raises((IssuerUnavailable, InvalidIssuerResponse)):
            client.discover(ISSUER)


def test_network_failure_is_issuer_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = IssuerClient(
            Outbound(http, allow_insecure_loopback=True), allow_insecure_loopback=True
        )
        with pytest.raises(IssuerUnavailable):
            client.discover(ISSUER)


@pytest.mark.parametrize(
    "url",
    [
        "http://bank.example/x",
        "https://user@bank.example/x",
        "https://bank.example/x#f",
        "ftp://x",
        "https://ü.example/",
    ],
)
def test_outbound_refuses_urls(url: str) -> None:
    with httpx.Client() as http:
        with pytest.raises(UrlRefused):
            Outbound(http, allow_insecure_loopback=True).check_url(url)
        with pytest.raises(UrlRefused):
            Outbound(http, allow_insecure_loopback=False).check_url("http://127.0.0.1:9/x")


def test_offer_parsing_policy() -> None:
    settings = make_settings("sqlite://", trusted_issuers=("https://permits.sh.example/issuer",))
    uri = CredentialOffer(ISSUER, "code").to_uri()
    with pytest.raises(UntrustedIssuer):
        parse_offer(uri, settings=settings)
    open_settings = make_settings("sqlite://")
    assert parse_offer(uri, settings=open_settings).credential_issuer == ISSUER
    by_reference = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx.example%2Fo"
    with pytest.raises(InvalidCredentialOffer):
        parse_offer(by_reference, settings=open_settings)
    other = CredentialOffer(
        ISSUER, "code", credential_configuration_ids=("driving_licence",)
    ).to_uri()
    with pytest.raises(InvalidCredentialOffer):
        parse_offer(other, settings=open_settings)
    strict = make_settings("sqlite://", allow_insecure_loopback=False)
    with pytest.raises(InvalidCredentialOffer):
        parse_offer(uri, settings=strict)
