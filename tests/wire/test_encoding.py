"""Strict base64url and JSON (DESIGN §6 "Parsing is strict"), with hypothesis properties."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wire.encoding import (
    MAX_JSON_DEPTH,
    b64u_decode,
    b64u_encode,
    json_depth,
    json_dumps,
    loads_json,
    loads_object,
)
from wire.errors import HolderBindingInvalid, InvalidDisclosure, Malformed, VerificationError

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# --- base64url --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"f", "Zg"),
        (b"fo", "Zm8"),
        (b"foo", "Zm9v"),
        (b"\xfb\xff", "-_8"),
        (b"\xff\xfe\xfd", "__79"),
        (b'{"typ":"JWT",\r\n "alg":"HS256"}', "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"),
    ],
)
def test_b64u_known_values(data: bytes, text: str) -> None:
    assert b64u_encode(data) == text  # the last one is RFC 7515 §A.1's header
    assert b64u_decode(text, Malformed) == data


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_b64u_round_trip(data: bytes) -> None:
    text = b64u_encode(data)
    assert set(text) <= set(ALPHABET)
    assert b64u_decode(text, Malformed) == data
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")


def _non_canonical_variants(text: str) -> list[str]:
    """Spellings of ``text`` that a lenient decoder maps to the same (or nearly) bytes."""
    variants = [text + "=" * (-len(text) % 4 or 4), text + "=", " " + text, text + "\n"]
    variants += [text.replace("-", "+"), text.replace("_", "/")]
    if text:
        variants += [text[:1] + "\n" + text[1:], text[:-1] + "+", text[:-1] + "/", text[:-1] + "é"]
        if len(text) % 4 in (2, 3):  # the last character has unused low bits
            last = ALPHABET.index(text[-1])
            unused = 0b1111 if len(text) % 4 == 2 else 0b11
            variants += [text[:-1] + ALPHABET[last | bit] for bit in range(1, unused + 1)]
    return [v for v in variants if v != text]


@settings(deadline=None)
@given(st.binary(max_size=64))
def test_every_non_canonical_variant_is_rejected(data: bytes) -> None:
    text = b64u_encode(data)
    for variant in _non_canonical_variants(text):
        with pytest.raises(Malformed):
            b64u_decode(variant, Malformed)


@settings(deadline=None)
@given(st.text(alphabet=ALPHABET + "=+/ ", max_size=40) | st.text(max_size=10))
def test_decode_accepts_exactly_the_canonical_strings(text: str) -> None:
    try:
        data = b64u_decode(text, Malformed)
    except Malformed:
        canonical = all(c in ALPHABET for c in text) and len(text) % 4 != 1
        if canonical:
            padded = text + "=" * (-len(text) % 4)
            assert b64u_encode(base64.urlsafe_b64decode(padded)) != text
        return
    assert b64u_encode(data) == text


@pytest.mark.parametrize(
    "text", ["A", "AAAAA", "Zg=", "Zg==", "Zh", "Zm9", "Z m8", "Zm8\x00", "字"]
)
def test_specific_rejections(text: str) -> None:
    with pytest.raises(Malformed):
        b64u_decode(text, Malformed)


@pytest.mark.parametrize("error", [Malformed, InvalidDisclosure, HolderBindingInvalid])
def test_the_caller_chooses_the_error_class(error: type[VerificationError]) -> None:
    with pytest.raises(error):
        b64u_decode("Zh", error)
    with pytest.raises(error):
        loads_json(b"{", error)


# --- strict JSON --------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=15,
)


@settings(deadline=None)
@given(JSON_VALUES)
def test_json_round_trip(value: Any) -> None:
    assume(json_depth(value) <= MAX_JSON_DEPTH)
    container = [value]
    assert loads_json(json_dumps(container), Malformed) == container


@settings(deadline=None)
@given(
    JSON_VALUES,
    JSON_VALUES,
    st.text(max_size=6),
    st.lists(st.sampled_from(["array", "object"]), max_size=8),
)
def test_duplicate_member_names_are_rejected_at_any_depth(
    first: Any, second: Any, name: str, wrappers: list[str]
) -> None:
    # The second spelling of the name may differ (escaped vs raw) and still be the same name.
    single = f"{{{json.dumps(name)}:{json.dumps(first)}}}"
    double = f"{single[:-1]},{json.dumps(name, ensure_ascii=False)}:{json.dumps(second)}}}"
    for wrapper in wrappers:
        single, double = (
            (f"[1,{single}]", f"[1,{double}]")
            if wrapper == "array"
            else (f'{{"k":{single},"z":0}}', f'{{"k":{double},"z":0}}')
        )
    loads_json(single.encode(), Malformed)
    with pytest.raises(Malformed):
        loads_json(double.encode(), Malformed)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":1}',
        b'{"a":{"b":[{"c":1,"c":2}]}}',
        b'{"a":1,"\\u0061":2}',  # the same name spelt with an escape
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b'{"a":1e400}',
        b'{"a":-1e400}',
        b'{"a":"\\ud800"}',
        b'{"\\udfff":1}',
        b'{"a":"\xed\xa0\x80"}',  # a surrogate encoded as (invalid) UTF-8
        b'{"a":"\xff"}',
        b"\xef\xbb\xbf{}",
        b'{"a":1',
        b"{} {}",
        b"",
        b'{"a":1' + b"1" * 5000 + b"}",  # beyond Python's int-string limit
    ],
    ids=repr,
)
def test_strict_json_rejections(raw: bytes) -> None:
    with pytest.raises(Malformed):
        loads_json(raw, Malformed)


def test_valid_surrogate_pairs_and_chinese_text_are_fine() -> None:
    assert loads_json(b'{"a":"\\ud83d\\ude00"}', Malformed) == {"a": "\U0001f600"}
    assert loads_json('{"姓名":"张三"}'.encode(), Malformed) == {"姓名": "张三"}
    assert loads_json(b'{"a":1e300}', Malformed) == {"a": 1e300}


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_depth_limit() -> None:
    assert json_depth(loads_json(_nested(MAX_JSON_DEPTH), Malformed)) == MAX_JSON_DEPTH
    with pytest.raises(Malformed):
        loads_json(_nested(MAX_JSON_DEPTH + 1), Malformed)
    with pytest.raises(Malformed):
        loads_json(_nested(100_000), Malformed)  # no RecursionError escapes
    assert loads_json(_nested(5), Malformed, max_depth=5) == [[[[[]]]]]
    with pytest.raises(Malformed):
        loads_json(_nested(6), Malformed, max_depth=5)


@pytest.mark.parametrize(
    ("value", "depth"),
    [(1, 0), ("x", 0), ([], 1), ({}, 1), ([[]], 2), ({"a": [1, {"b": []}]}, 4), ([1, [2, [3]]], 3)],
)
def test_json_depth(value: Any, depth: int) -> None:
    assert json_depth(value) == depth


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"1", b"null", b"true"])
def test_loads_object_needs_an_object(raw: bytes) -> None:
    loads_json(raw, Malformed)
    with pytest.raises(Malformed):
        loads_object(raw, Malformed)


def test_json_dumps_is_compact_utf8_and_refuses_nan() -> None:
    assert json_dumps({"a": [1, "张"]}) == '{"a":[1,"张"]}'.encode()
    with pytest.raises(ValueError):
        json_dumps({"a": float("nan")})
