"""Fuzzing strict base64url and JSON (wire/encoding.py) against the standard library.

tests/wire/test_encoding.py pins the round trips and the named rejections; here arbitrary and
near-JSON input must give either a value or the caller's error class, and the strict parser
must agree with ``json`` plus the DESIGN §6 rules written out as a slow reference.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.reference import reference_b64u, reference_depth, reference_json, same_json
from tests.fuzz.strategies import (
    B64U_ALPHABET,
    JSON_VALUES,
    attempt,
    fuzz_settings,
    hostile_json,
    hostile_text,
)
from wire.encoding import (
    MAX_JSON_DEPTH,
    b64u_decode,
    b64u_encode,
    json_depth,
    loads_json,
    loads_object,
    parse_json,
)
from wire.errors import InvalidDisclosure, StatusInvalid, VerificationError


class _Sentinel(VerificationError):
    """An error class no parser raises by itself: proves the caller's class is the one used."""

    code = "malformed"


# --- base64url --------------------------------------------------------------------------------


@fuzz_settings(150)
@given(
    hostile_text(80)
    | st.text(alphabet=B64U_ALPHABET + "=+/ \n\t\x00é\ud800", max_size=80)
    | st.binary(max_size=40).map(b64u_encode),
    st.sampled_from([_Sentinel, InvalidDisclosure, StatusInvalid]),
)
def test_b64u_decode_gives_bytes_or_the_callers_error(
    text: str, error: type[VerificationError]
) -> None:
    expected = reference_b64u(text)
    data = attempt(lambda: b64u_decode(text, error))
    if expected is None:
        assert type(data) is error
    else:
        assert data == expected


# --- strict JSON ------------------------------------------------------------------------------


@fuzz_settings(200)
@given(hostile_json() | st.binary(max_size=40), st.sampled_from([_Sentinel, InvalidDisclosure]))
def test_loads_json_agrees_with_the_standard_library_reference(
    data: bytes, error: type[VerificationError]
) -> None:
    accepted, expected = reference_json(data)
    value = attempt(lambda: loads_json(data, error))
    if accepted:
        assert same_json(value, expected)
    else:
        assert type(value) is error


@fuzz_settings(100)
@given(hostile_json(), st.integers(min_value=0, max_value=40))
def test_parse_json_raises_only_value_error_and_honours_the_depth(
    data: bytes, max_depth: int
) -> None:
    try:
        value = parse_json(data, max_depth)
    except ValueError:
        return
    assert json_depth(value) <= max_depth


@fuzz_settings(100)
@given(hostile_json())
def test_loads_object_returns_only_objects(data: bytes) -> None:
    accepted, expected = reference_json(data)
    value = attempt(lambda: loads_object(data, _Sentinel))
    if accepted and isinstance(expected, dict):
        assert same_json(value, expected)
    else:
        assert type(value) is _Sentinel


@fuzz_settings(100)
@given(JSON_VALUES, st.integers(min_value=0, max_value=40))
def test_json_depth_matches_the_recursive_definition(value: Any, wrap: int) -> None:
    for level in range(wrap):
        value = [value] if level % 2 else {"k": value}
    assert json_depth(value) == reference_depth(value)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 990, 5000, 100_000])
def test_nesting_beyond_the_recursion_limit_is_the_callers_error(depth: int) -> None:
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        data = (opener * depth + "0" + closer * depth).encode()
        if depth <= MAX_JSON_DEPTH:
            assert json_depth(loads_json(data, _Sentinel)) == depth
        else:
            with pytest.raises(_Sentinel):
                loads_json(data, _Sentinel)
