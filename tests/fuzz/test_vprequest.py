"""Fuzzing verifier-bound request URIs and direct_post bodies (wire/vprequest.py).

The wallet parses request URIs from any QR code a holder scans, and the verifier parses the
``direct_post`` body any client sends; both document :class:`~wire.errors.InvalidInput` as their
only failure. The regressions at the end are what this fuzzing found: deeply nested JSON in
``dcql_query`` or ``vp_token`` escaped as ``RecursionError`` (a 500 at the verifier), and an
unbalanced ``[`` in a host as the ``ValueError`` of ``urlsplit`` (a 500 at the wallet).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import (
    JSON_VALUES,
    attempt,
    fuzz_settings,
    hostile_json,
    hostile_text,
    mutated,
)
from wire.credential import ADDRESS_CLAIMS, CLAIM_NAMES
from wire.errors import InvalidInput, PermitError
from wire.profiles import load_profiles
from wire.vprequest import (
    VerifierRequest,
    dcql_query,
    parse_request_uri,
    parse_vp_token_form,
    paths_from_dcql,
)

_KNOWN_PATHS = set(CLAIM_NAMES) | {f"residence_address.{name}" for name in ADDRESS_CLAIMS}
RESPONSE = "https://bank.example/v1/requests/r1/response"
_REQUEST = VerifierRequest(RESPONSE, "n" * 24, "r1", "bank", load_profiles()["bank"].claims)
_PARAMS = dict(parse_qsl(urlsplit(_REQUEST.to_uri()).query))
_PARAM_VALUES = (
    st.sampled_from(
        [
            "redirect_uri:" + RESPONSE,
            "http://127.0.0.1:8000/r",
            "https://u:p@bank.example/r",
            "https://bank.example/r#f",
            "vp_token",
            "direct_post",
            "n" * 15,
            "n" * 257,
            "é" * 20,
            "[" * 3800,  # hypothesis raises the recursion limit while it runs a test
            '{"credentials":[]}',
            "https://[bank.example/r",
        ]
    )
    | hostile_text(12)
    | hostile_json().map(lambda b: b.decode("utf-8", "replace"))
)


@st.composite
def _request_uris(draw: st.DrawFn) -> str:
    """The request's URI with parameters replaced, removed, repeated or added."""
    params = list(_PARAMS.items())
    for _ in range(draw(st.integers(0, 3))):
        names = [*_PARAMS, "extra"]
        name = draw(st.sampled_from(names))
        action = draw(st.sampled_from(["replace", "remove", "repeat"]))
        if action == "remove":
            params = [(n, v) for n, v in params if n != name]
        elif action == "repeat":
            params.append((name, draw(_PARAM_VALUES)))
        else:
            value = draw(_PARAM_VALUES)
            params = [(n, value if n == name else v) for n, v in params]
    if draw(st.booleans()):
        dcql = draw(mutated(dcql_query(_REQUEST.claims), max_edits=2))
        params = [(n, json.dumps(dcql) if n == "dcql_query" else v) for n, v in params]
    scheme = draw(
        st.sampled_from(
            ["openid4vp://?", "openid4vp:?", "https://x/?", " openid4vp://?", "openid4vp://[::1?"]
        )
    )
    # JSON punctuation stays literal, as a hand-made QR code may carry it: more nesting fits
    # under the 4096-character limit than when every bracket is percent-encoded.
    return scheme + urlencode(params, quote_via=quote, safe='[]{}":/,')


@fuzz_settings(150)
@given(_request_uris() | hostile_text(40), st.booleans())
def test_request_uri_gives_a_request_or_invalid_input(text: str, loopback: bool) -> None:
    request = attempt(lambda: parse_request_uri(text, allow_insecure_loopback=loopback))
    if isinstance(request, PermitError):
        assert type(request) is InvalidInput
        return
    assert parse_request_uri(request.to_uri(), allow_insecure_loopback=loopback) == request
    assert 16 <= len(request.nonce) <= 256


@fuzz_settings(100)
@given(mutated(dcql_query(_REQUEST.claims), max_edits=3) | JSON_VALUES)
def test_dcql_gives_known_unique_paths_or_invalid_input(query: Any) -> None:
    paths = attempt(lambda: paths_from_dcql(query))
    if isinstance(paths, PermitError):
        assert type(paths) is InvalidInput
        return
    assert len(set(paths)) == len(paths)
    assert set(paths) <= _KNOWN_PATHS
    assert paths_from_dcql(dcql_query(paths)) == paths


_FORM_VALUES = (
    st.sampled_from([json.dumps({"permit": ["a~b~"]}), "[" * 50_000, '{"a":' * 20_000])
    | hostile_json().map(lambda b: b.decode("utf-8", "replace"))
    | hostile_text(10)
)


@fuzz_settings(100)
@given(st.dictionaries(st.sampled_from(["vp_token", "state", "x"]), _FORM_VALUES, max_size=3))
def test_vp_token_form_gives_one_presentation_or_invalid_input(fields: dict[str, str]) -> None:
    parsed = attempt(lambda: parse_vp_token_form(fields))
    if isinstance(parsed, PermitError):
        assert type(parsed) is InvalidInput
        return
    presentation, state = parsed
    assert presentation == json.loads(fields["vp_token"])["permit"][0]
    assert state == fields["state"]


# --- regressions found by this fuzzing --------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 3000])
def test_deeply_nested_dcql_query_is_invalid_input(depth: int) -> None:
    params = {**_PARAMS, "dcql_query": "[" * depth}
    text = "openid4vp://?" + urlencode(params, safe="[:/")
    assert len(text) <= 4096  # within the URI limit: the JSON parser must refuse it
    with pytest.raises(InvalidInput):
        parse_request_uri(text)


@pytest.mark.parametrize("depth", [1000, 100_000])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_vp_token_is_invalid_input(depth: int, opener: str) -> None:
    with pytest.raises(InvalidInput):
        parse_vp_token_form({"vp_token": opener * depth, "state": "r1"})


@pytest.mark.parametrize(
    "text",
    [
        "openid4vp://[x?client_id=a",
        "openid4vp://?" + urlencode({**_PARAMS, "response_uri": "https://[bank.example/r"}),
    ],
)
def test_an_unbalanced_bracket_in_a_host_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_request_uri(text)
