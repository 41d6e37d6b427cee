"""Verifier-bound request URIs and direct_post bodies (wire.vprequest)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import InvalidInput
from wire.profiles import load_profiles
from wire.vprequest import (
    VerifierRequest,
    dcql_query,
    parse_request_uri,
    parse_vp_token_form,
    paths_from_dcql,
    vp_token_form,
)

NONCE = "n" * 24
RESPONSE = "https://bank.example/v1/requests/r1/response"


def _request(**overrides: object) -> VerifierRequest:
    base: dict[str, object] = {
        "response_uri": RESPONSE,
        "nonce": NONCE,
        "state": "r1",
        "profile": "bank",
        "claims": load_profiles()["bank"].claims,
    }
    base.update(overrides)
    return VerifierRequest(**base)  # type: ignore[arg-type]


def _pair(response_uri: str) -> dict[str, str]:
    return {"response_uri": response_uri, "client_id": "redirect_uri:" + response_uri}


def _uri_with(**params: str) -> str:
    query = parse_qs(urlsplit(_request().to_uri()).query)
    flat = {k: v[0] for k, v in query.items()}
    flat.update(params)
    return "openid4vp://?" + urlencode(flat)


def test_round_trip_every_verifier_bound_profile() -> None:
    for name, profile in load_profiles().items():
        request = _request(profile=name, claims=profile.claims)
        assert parse_request_uri(request.to_uri()) == request


def test_client_id_is_the_prefixed_response_uri() -> None:
    request = _request()
    assert request.client_id == "redirect_uri:" + RESPONSE
    assert parse_qs(urlsplit(request.to_uri()).query)["client_id"] == [request.client_id]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"response_type": "code"}, "response_type"),
        ({"response_mode": "fragment"}, "response_mode"),
        ({"client_id": "redirect_uri:https://evil.example/x"}, "client_id"),
        ({"client_id": RESPONSE}, "client_id"),
        (_pair("http://bank.example/x"), "response_uri"),
        (_pair("https://u:p@bank.example/x"), "response_uri"),
        ({"nonce": "short"}, "nonce"),
        ({"nonce": "x" * 257}, "nonce"),
        ({"state": ""}, "state"),
        ({"dcql_query": "{"}, "dcql_query"),
        ({"dcql_query": json.dumps({"credentials": []})}, "dcql_query"),
        ({"dcql_query": json.dumps(dcql_query(["salary"]))}, "dcql_query"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_request_uri(_uri_with(**params))
    assert caught.value.field == field


def test_wrong_scheme_duplicate_and_oversized() -> None:
    with pytest.raises(InvalidInput):
        parse_request_uri(_request().to_uri().replace("openid4vp://", "https://"))
    with pytest.raises(InvalidInput):
        parse_request_uri(_request().to_uri() + "&nonce=" + NONCE)
    with pytest.raises(InvalidInput):
        parse_request_uri(_request().to_uri() + "&x=" + "a" * 5000)


def test_loopback_http_only_with_flag() -> None:
    local = _request(response_uri="http://127.0.0.1:8003/v1/requests/r1/response")
    with pytest.raises(InvalidInput):
        parse_request_uri(local.to_uri())
    assert parse_request_uri(local.to_uri(), allow_insecure_loopback=True) == local


def test_dcql_paths_round_trip_and_validation() -> None:
    paths = ("name", "residence_address.district")
    assert paths_from_dcql(dcql_query(paths)) == paths
    bad = dcql_query(paths)
    bad["credentials"][0]["meta"]["vct_values"] = ["urn:other"]
    with pytest.raises(InvalidInput):
        paths_from_dcql(bad)


def test_vp_token_form_round_trip_and_errors() -> None:
    form = vp_token_form("a.b.c~d~e.f.g", "r1")
    assert parse_vp_token_form(form) == ("a.b.c~d~e.f.g", "r1")
    for fields in (
        {},
        {"vp_token": "{}", "state": "r1"},
        {"vp_token": "[", "state": "r1"},
        {"vp_token": json.dumps({"permit": ["a", "b"]}), "state": "r1"},
        {"vp_token": json.dumps({"permit": ["a"]})},
    ):
        with pytest.raises(InvalidInput):
            parse_vp_token_form(fields)


@given(
    nonce=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=16, max_size=64),
    state=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and "\x00" not in s),
)
def test_round_trip_property(nonce: str, state: str) -> None:
    request = _request(nonce=nonce, state=state)
    assert parse_request_uri(request.to_uri()) == request
