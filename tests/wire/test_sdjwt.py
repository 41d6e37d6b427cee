"""Generic SD-JWT machinery (RFC 9901): serialization, conceal (issuance) and process_payload
(verification), with hypothesis round trips over random claims and random frames."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.disclosures import RESERVED_NAMES, Disclosure, make_disclosure
from wire.encoding import json_depth
from wire.errors import DisclosureMismatch, InvalidDisclosure, Malformed, UnsupportedAlg
from wire.sdjwt import (
    SD_ALG,
    SdJwtParts,
    conceal,
    join_presentation,
    process_payload,
    split_presentation,
)

# --- serialization ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("jwt~", SdJwtParts("jwt", (), None)),
        ("jwt~d1~d2~", SdJwtParts("jwt", ("d1", "d2"), None)),
        ("jwt~d1~kb", SdJwtParts("jwt", ("d1",), "kb")),
        ("jwt~kb", SdJwtParts("jwt", (), "kb")),
    ],
)
def test_split_and_join(text: str, parts: SdJwtParts) -> None:
    assert split_presentation(text) == parts
    assert join_presentation(parts.issuer_jwt, parts.disclosures, parts.kb_jwt) == text


def test_without_kb_ends_at_the_last_tilde() -> None:
    assert split_presentation("jwt~d1~d2~kb").without_kb == "jwt~d1~d2~"
    assert split_presentation("jwt~").without_kb == "jwt~"


@pytest.mark.parametrize("text", ["", "jwt", "~", "~d~", "jwt~~", "jwt~d~~", "jwt~~kb"])
def test_split_refuses_broken_structure(text: str) -> None:
    with pytest.raises(Malformed):
        split_presentation(text)


# --- conceal --------------------------------------------------------------------------------


def _counter_salts() -> Any:
    counter = iter(range(10**6))
    return lambda: next(counter).to_bytes(16, "big")


def test_conceal_object_array_and_recursive() -> None:
    claims = {"a": 1, "b": {"c": 2, "d": 3}, "e": ["x", "y", "z"], "f": "plain"}
    frame = {"_sd": ["a", "b"], "b": {"_sd": ["c"]}, "e": {"_sd": [0, 2]}}
    payload, disclosures = conceal(claims, frame, salt_source=_counter_salts())
    assert set(payload) == {"_sd", "e", "f"}
    assert payload["f"] == "plain"
    assert payload["e"][1] == "y"
    assert set(payload["e"][0]) == {"..."}
    by_name = {d.name: d for d in disclosures}
    assert set(by_name) == {"a", "b", "c", None}
    assert by_name["b"].value == {"d": 3, "_sd": [by_name["c"].digest]}  # recursive
    assert sorted(payload["_sd"]) == payload["_sd"]
    assert set(payload["_sd"]) == {by_name["a"].digest, by_name["b"].digest}
    assert process_payload(payload, [d.encoded for d in disclosures])[0] == claims


def test_conceal_decoys_are_sorted_among_real_digests() -> None:
    payload, disclosures = conceal(
        {"a": 1, "n": {"b": 2}}, {"_sd": ["a"], "n": {"_sd": ["b"]}}, decoys={"": 3, "n": 2}
    )
    assert len(payload["_sd"]) == 4
    assert payload["_sd"] == sorted(payload["_sd"])
    assert len(payload["n"]["_sd"]) == 3
    claims, by_digest = process_payload(payload, [d.encoded for d in disclosures])
    assert claims == {"a": 1, "n": {"b": 2}}
    assert set(by_digest) == {d.digest for d in disclosures}


def test_conceal_does_not_modify_the_input() -> None:
    claims = {"a": {"b": 1}}
    frame = {"a": {"_sd": ["b"]}}
    snapshot = json.dumps(claims)
    conceal(claims, frame)
    assert json.dumps(claims) == snapshot


# --- process_payload: hand-made cases -------------------------------------------------------


def _payload_with(*disclosures: Disclosure, **extra: Any) -> dict[str, Any]:
    return {"_sd": [d.digest for d in disclosures], **extra}


def test_unsupported_sd_alg() -> None:
    for alg in ("sha-512", "SHA-256", 1):
        with pytest.raises(UnsupportedAlg):
            process_payload({"_sd_alg": alg}, [])
    assert process_payload({"_sd_alg": SD_ALG, "a": 1}, []) == ({"a": 1}, {})


def test_mismatch_cases() -> None:
    a, b = make_disclosure("a", 1), make_disclosure("b", 2)
    element = make_disclosure(None, 3)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        (_payload_with(a), [a.encoded, b.encoded]),  # b not referenced
        (_payload_with(a), [a.encoded, a.encoded]),  # duplicate disclosure
        ({"_sd": [a.digest, a.digest]}, [a.encoded]),  # digest listed twice
        ({"_sd": [a.digest], "x": {"_sd": [a.digest]}}, [a.encoded]),  # in two places
        ({"_sd": ["decoy", "decoy"]}, []),  # even an unused digest may appear only once
        (_payload_with(element), [element.encoded]),  # array element in an object
        ({"arr": [{"...": a.digest}]}, [a.encoded]),  # object property in an array
        (_payload_with(a, a=0), [a.encoded]),  # clashes with a visible claim
    ]
    for payload, encoded in cases:
        with pytest.raises(DisclosureMismatch):
            process_payload(payload, encoded)


def test_two_disclosures_with_the_same_name_in_one_object() -> None:
    first, second = make_disclosure("a", 1), make_disclosure("a", 2)
    with pytest.raises(DisclosureMismatch):
        process_payload(_payload_with(first, second), [first.encoded, second.encoded])


@pytest.mark.parametrize(
    "payload",
    [
        {"_sd": "x"},
        {"_sd": {"a": 1}},
        {"_sd": [1]},
        {"_sd": [None]},
        {"nested": {"_sd": 5}},
        {"...": "x"},
        {"nested": {"...": "x"}},
        {"arr": [{"...": "x", "extra": 1}]},
        {"arr": [{"...": 1}]},
    ],
    ids=repr,
)
def test_malformed_digest_structures(payload: dict[str, Any]) -> None:
    with pytest.raises(Malformed):
        process_payload(payload, [])


def test_invalid_disclosure_is_reported_before_matching() -> None:
    with pytest.raises(InvalidDisclosure):
        process_payload({}, ["e30"])


def test_processed_depth_limit() -> None:
    inner = make_disclosure("d", [[[1]]])
    outer = make_disclosure("o", {"_sd": [inner.digest]})
    payload = {"_sd": [outer.digest]}
    claims, _ = process_payload(payload, [outer.encoded, inner.encoded])
    assert claims == {"o": {"d": [[[1]]]}}
    assert json_depth(claims) == 5
    deep_value: Any = 1
    for _ in range(28):
        deep_value = [deep_value]
    deep = make_disclosure("d", deep_value)
    wrapper = make_disclosure("o", {"_sd": [deep.digest]})
    with pytest.raises(Malformed):  # payload, 2 arrays, 2 objects, 28 arrays: 33 levels
        process_payload({"x": [[{"_sd": [wrapper.digest]}]]}, [wrapper.encoded, deep.encoded])


def test_undisclosed_array_elements_are_dropped_and_visible_ones_kept() -> None:
    shown, hidden = make_disclosure(None, "a"), make_disclosure(None, "b")
    payload = {"arr": [{"...": shown.digest}, {"...": hidden.digest}, "c", {"k": 1}]}
    claims, _ = process_payload(payload, [shown.encoded])
    assert claims == {"arr": ["a", "c", {"k": 1}]}


# --- properties: conceal / process round trip ----------------------------------------------

KEYS = st.text(min_size=1, max_size=6).filter(lambda k: k not in RESERVED_NAMES)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
CLAIMS = st.dictionaries(KEYS, VALUES, max_size=6)


def _frame(draw: st.DrawFn, value: Any) -> dict[str, Any]:
    """A random frame for ``value``: any members/elements selectable, any containers recursed."""
    if isinstance(value, dict):
        names: list[str] = list(value)
        frame: dict[str, Any] = {"_sd": [n for n in names if draw(st.booleans())]}
        items: list[tuple[str, Any]] = list(value.items())
    else:
        frame = {"_sd": [i for i in range(len(value)) if draw(st.booleans())]}
        items = [(str(i), v) for i, v in enumerate(value)]
    for key, child in items:
        if isinstance(child, dict | list) and draw(st.booleans()):
            frame[key] = _frame(draw, child)
    return frame


@st.composite
def claims_and_frames(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    claims = draw(CLAIMS)
    decoys = {"": draw(st.integers(min_value=0, max_value=3))}
    return claims, _frame(draw, claims), decoys


def _locate(
    node: Any, path: tuple[Any, ...], by_digest: dict[str, Disclosure], out: dict[str, Any]
) -> None:
    """Map each disclosure's digest to its path in the original claims (an independent walk)."""
    if isinstance(node, dict):
        for key, child in node.items():
            if key != "_sd":
                _locate(child, (*path, key), by_digest, out)
        for digest in node.get("_sd", []):
            if digest in by_digest:
                disclosure = by_digest[digest]
                out[digest] = (*path, disclosure.name)
                _locate(disclosure.value, out[digest], by_digest, out)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict) and set(item) == {"..."}:
                out[item["..."]] = (*path, index)
                _locate(by_digest[item["..."]].value, (*path, index), by_digest, out)
            else:
                _locate(item, (*path, index), by_digest, out)


def _redact(value: Any, path: tuple[Any, ...], hidden: set[tuple[Any, ...]]) -> Any:
    if isinstance(value, dict):
        return {
            k: _redact(v, (*path, k), hidden) for k, v in value.items() if (*path, k) not in hidden
        }
    if isinstance(value, list):
        return [
            _redact(v, (*path, i), hidden) for i, v in enumerate(value) if (*path, i) not in hidden
        ]
    return value


@settings(max_examples=150, deadline=None)
@given(claims_and_frames())
def test_all_disclosures_give_back_the_claims(
    case: tuple[dict[str, Any], dict[str, Any], dict[str, int]],
) -> None:
    claims, frame, decoys = case
    payload, disclosures = conceal(claims, frame, decoys=decoys)
    processed, by_digest = process_payload(payload, [d.encoded for d in disclosures])
    assert processed == claims
    assert set(by_digest) == {d.digest for d in disclosures}
    # Nothing selectable stays visible, and the order of disclosures does not matter.
    assert process_payload(payload, [d.encoded for d in reversed(disclosures)])[0] == claims


@settings(max_examples=150, deadline=None)
@given(claims_and_frames(), st.data())
def test_a_subset_of_disclosures_gives_exactly_those_claims(
    case: tuple[dict[str, Any], dict[str, Any], dict[str, int]], data: st.DataObject
) -> None:
    claims, frame, decoys = case
    payload, disclosures = conceal(claims, frame, decoys=decoys)
    by_digest = {d.digest: d for d in disclosures}
    paths: dict[str, tuple[Any, ...]] = {}
    _locate(payload, (), by_digest, paths)
    assert set(paths) == set(by_digest)
    wanted = {d.digest for d in disclosures if data.draw(st.booleans())}
    # A disclosure is only reachable if every disclosure above it is disclosed too.
    chosen = {
        digest
        for digest in wanted
        if all(
            other in wanted
            for other, path in paths.items()
            if len(path) < len(paths[digest]) and paths[digest][: len(path)] == path
        )
    }
    hidden = {paths[digest] for digest in set(by_digest) - chosen}
    processed, _ = process_payload(payload, [by_digest[d].encoded for d in chosen])
    assert processed == _redact(claims, (), hidden)


@settings(max_examples=50, deadline=None)
@given(claims_and_frames(), st.data())
def test_an_unreachable_disclosure_is_a_mismatch(
    case: tuple[dict[str, Any], dict[str, Any], dict[str, int]], data: st.DataObject
) -> None:
    claims, frame, decoys = case
    payload, disclosures = conceal(claims, frame, decoys=decoys)
    by_digest = {d.digest: d for d in disclosures}
    paths: dict[str, tuple[Any, ...]] = {}
    _locate(payload, (), by_digest, paths)
    nested = [
        d
        for d in disclosures
        if any(
            len(p) < len(paths[d.digest]) and paths[d.digest][: len(p)] == p for p in paths.values()
        )
    ]
    if not nested:
        return
    orphan = data.draw(st.sampled_from(nested))
    ancestors = {
        digest
        for digest, path in paths.items()
        if len(path) < len(paths[orphan.digest]) and paths[orphan.digest][: len(path)] == path
    }
    keep = [d.encoded for d in disclosures if d.digest not in ancestors]
    with pytest.raises(DisclosureMismatch):
        process_payload(payload, keep)
