"""OpenID4VCI 1.0 §4.1 credential offers: by value and by reference, spec vectors, every
refusal with its message, and the round-trip property.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.wire.oid4vci_helpers import ISSUER
from wire.encoding import json_dumps
from wire.oid4vci import (
    CONFIGURATION_ID,
    PRE_AUTH_GRANT,
    CredentialOffer,
    CredentialOfferReference,
    InvalidCredentialOffer,
    TxCode,
    parse_offer_json,
    parse_offer_uri,
)

OFFER = CredentialOffer(
    credential_issuer=ISSUER,
    pre_authorized_code="oaKazRN8I0IbtZ0C7JuMn5",
    tx_code=TxCode(input_mode="numeric", length=6, description="请输入短信中的6位验证码"),
)


def test_offer_json_has_the_spec_shape() -> None:
    assert OFFER.to_json() == {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {
            PRE_AUTH_GRANT: {
                "pre-authorized_code": "oaKazRN8I0IbtZ0C7JuMn5",
                "tx_code": {
                    "input_mode": "numeric",
                    "length": 6,
                    "description": "请输入短信中的6位验证码",
                },
            }
        },
    }


def test_offer_round_trips_through_uri_json_and_plain_text() -> None:
    uri = OFFER.to_uri()
    assert uri.startswith("openid-credential-offer://?credential_offer=%7B%22credential_issuer")
    assert parse_offer_uri(uri) == OFFER
    assert parse_offer_json(json.dumps(OFFER.to_json())) == OFFER
    assert parse_offer_json(OFFER.to_json()) == OFFER
    assert parse_offer_uri(json.dumps(OFFER.to_json(), ensure_ascii=False)) == OFFER
    assert parse_offer_uri(uri + "\r\n") == OFFER  # as a scanner may hand it over


def test_offer_without_tx_code_and_with_an_empty_tx_code() -> None:
    plain = CredentialOffer(ISSUER, "code-1")
    assert "tx_code" not in plain.to_json()["grants"][PRE_AUTH_GRANT]
    assert parse_offer_uri(plain.to_uri()) == plain
    empty = CredentialOffer(ISSUER, "code-1", TxCode())
    assert empty.to_json()["grants"][PRE_AUTH_GRANT]["tx_code"] == {}
    parsed = parse_offer_uri(empty.to_uri())
    assert isinstance(parsed, CredentialOffer)
    assert parsed.tx_code == TxCode()  # present-but-empty still demands a tx_code (§4.1.1)


def test_offer_to_a_wallet_endpoint() -> None:
    uri = OFFER.to_uri("https://wallet.example/offer")
    assert uri.startswith("https://wallet.example/offer?credential_offer=")
    assert parse_offer_uri(uri, schemes=frozenset({"https"})) == OFFER
    with pytest.raises(ValueError):
        OFFER.to_uri("https://wallet.example/offer?x=1")


def test_spec_example_offer_by_value_parses() -> None:
    # OpenID4VCI 1.0 §4.1.2, the native-app example, line breaks removed.
    uri = (
        "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22:%22https://"
        "credential-issuer.example.com%22,%22credential_configuration_ids%22:%5B%22org.iso."
        "18013.5.1.mDL%22%5D,%22grants%22:%7B%22urn:ietf:params:oauth:grant-type:pre-authori"
        "zed_code%22:%7B%22pre-authorized_code%22:%22oaKazRN8I0IbtZ0C7JuMn5%22,%22tx_code%22:"
        "%7B%22input_mode%22:%22text%22,%22description%22:%22Please%20enter%20the%20serial"
        "%20number%20of%20your%20physical%20drivers%20license%22%7D%7D%7D%7D"
    )
    offer = parse_offer_uri(uri)
    assert offer == CredentialOffer(
        credential_issuer="https://credential-issuer.example.com",
        pre_authorized_code="oaKazRN8I0IbtZ0C7JuMn5",
        tx_code=TxCode(
            input_mode="text",
            description="Please enter the serial number of your physical drivers license",
        ),
        credential_configuration_ids=("org.iso.18013.5.1.mDL",),
    )


def test_spec_example_offer_by_reference_gives_a_reference() -> None:
    # OpenID4VCI 1.0 §4.1.3.
    uri = (
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fserver%2Eexample%2Ecom"
        "%2Fcredential-offer%2FGkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    )
    assert parse_offer_uri(uri) == CredentialOfferReference(
        "https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"
    )


def test_offer_ignores_unknown_parameters_and_other_grants() -> None:
    obj = OFFER.to_json()
    obj["future_parameter"] = {"x": 1}
    obj["grants"]["authorization_code"] = {"issuer_state": "abc"}
    obj["grants"][PRE_AUTH_GRANT]["authorization_server"] = "https://as.example"
    uri = f"openid-credential-offer://?x=1&credential_offer={quote(json.dumps(obj))}"
    assert parse_offer_uri(uri) == OFFER


def test_loopback_http_issuer_only_when_allowed() -> None:
    local = CredentialOffer("http://127.0.0.1:8000/issuer", "code")
    with pytest.raises(InvalidCredentialOffer, match="https"):
        parse_offer_uri(local.to_uri())
    assert parse_offer_uri(local.to_uri(), allow_insecure_loopback=True) == local
    remote = dict(local.to_json(), credential_issuer="http://issuer.example")
    with pytest.raises(InvalidCredentialOffer):
        parse_offer_json(remote, allow_insecure_loopback=True)


def _offer_uri(obj: object) -> str:
    return f"openid-credential-offer://?credential_offer={quote(json.dumps(obj))}"


def _without_grants() -> dict[str, Any]:
    obj = OFFER.to_json()
    del obj["grants"]
    return obj


def _with(**changes: Any) -> dict[str, Any]:
    obj = OFFER.to_json()
    obj.update(changes)
    return obj


def _with_grant(**changes: Any) -> dict[str, Any]:
    obj = OFFER.to_json()
    obj["grants"][PRE_AUTH_GRANT].update(changes)
    return obj


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://issuer.example/?credential_offer=%7B%7D", "openid-credential-offer:// scheme"),
        ("openid4vp://?credential_offer=%7B%7D", "scheme"),
        ("openid-credential-offer:?credential_offer=%7B%7D", "scheme"),
        ("openid-credential-offer://", "exactly one"),
        ("openid-credential-offer://?credential_offer=%7B%7D&credential_offer=%7B%7D", "exactly"),
        (
            "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa",
            "exactly one",
        ),
        ("openid-credential-offer://?credential_offer", "malformed"),
        ("openid-credential-offer://?credential_offer=%FF", "malformed"),
        ("openid-credential-offer://?credential_offer=%7Bnot%20json", "not a strict JSON object"),
        ("openid-credential-offer://?credential_offer=%5B%5D", "not a strict JSON object"),
        ('{"credential_issuer": 1, "credential_issuer": 2}', "not a strict JSON object"),
        ("openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fa.example%2Fo", "https"),
        ("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example%23f", "https"),
        (_offer_uri(_without_grants()), "no grants"),
        (_offer_uri(_with(grants={})), "no grants"),
        (
            _offer_uri(_with(grants={"authorization_code": {"issuer_state": "x"}})),
            "authorization code flow is not supported",
        ),
        (_offer_uri(_with(grants=[])), "grants must be an object"),
        (_offer_uri(_with(grants={PRE_AUTH_GRANT: "code"})), "grant must be an object"),
        (_offer_uri(_with(grants={PRE_AUTH_GRANT: {}})), "pre-authorized_code"),
        (_offer_uri(_with_grant(**{"pre-authorized_code": ""})), "pre-authorized_code"),
        (_offer_uri(_with_grant(**{"pre-authorized_code": 7})), "pre-authorized_code"),
        (_offer_uri(_with(credential_issuer="http://issuer.example")), "https"),
        (_offer_uri(_with(credential_issuer="https://issuer.example/?q=1")), "query"),
        (_offer_uri(_with(credential_issuer="https://issuer.example/#f")), "fragment"),
        (_offer_uri(_with(credential_issuer="https://u@issuer.example/")), "https"),
        (_offer_uri(_with(credential_issuer=None)), "credential_issuer"),
        (_offer_uri(_with(credential_configuration_ids=[])), "non-empty array"),
        (_offer_uri(_with(credential_configuration_ids="x")), "non-empty array"),
        (_offer_uri(_with(credential_configuration_ids=["a", "a"])), "unique"),
        (_offer_uri(_with(credential_configuration_ids=[1])), "unique"),
        (_offer_uri(_with_grant(tx_code=[])), "tx_code must be an object"),
        (_offer_uri(_with_grant(tx_code={"input_mode": "pin"})), "input_mode"),
        (_offer_uri(_with_grant(tx_code={"length": True})), "length"),
        (_offer_uri(_with_grant(tx_code={"length": 0})), "length"),
        (_offer_uri(_with_grant(tx_code={"description": "x" * 301})), "300"),
        (_offer_uri(_with_grant(tx_code={"description": 5})), "description"),
        ("openid-credential-offer://?credential_offer=" + "a" * 9000, "too large"),
    ],
)
def test_malformed_offers_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidCredentialOffer, match=message) as info:
        parse_offer_uri(text)
    assert info.value.code == "invalid_credential_offer"


def test_offer_constructor_refuses_bad_values() -> None:
    with pytest.raises(ValueError):
        CredentialOffer("ftp://issuer.example", "code")
    with pytest.raises(ValueError):
        CredentialOffer(ISSUER, "")
    with pytest.raises(ValueError):
        CredentialOffer(ISSUER, "code", credential_configuration_ids=())
    with pytest.raises(ValueError):
        TxCode(length=-1)


_ids = st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4, unique=True)
_tx_codes = st.none() | st.builds(
    TxCode,
    input_mode=st.none() | st.sampled_from(["numeric", "text"]),
    length=st.none() | st.integers(1, 64),
    description=st.none() | st.text(min_size=1, max_size=300),
)


@given(
    issuer=st.sampled_from(
        [ISSUER, "https://issuer.example", "https://xn--fiqs8s.example:8443/a/b", "https://[::1]/"]
    ),
    code=st.text(min_size=1, max_size=200),
    tx_code=_tx_codes,
    ids=_ids,
)
def test_offer_round_trip_property(
    issuer: str, code: str, tx_code: TxCode | None, ids: list[str]
) -> None:
    offer = CredentialOffer(issuer, code, tx_code, tuple(ids))
    assert parse_offer_uri(offer.to_uri()) == offer
    assert parse_offer_json(json_dumps(offer.to_json())) == offer
