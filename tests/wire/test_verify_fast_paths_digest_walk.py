"""The verifier's digest walk against RFC 9901 §7.1 written plainly.

``wire.sdjwt.unpack_claims`` takes ``(name, value)`` pairs and counts instead of collecting;
these properties pin that it gives the same claims, or the same reason code, as the
straightforward walk it replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wire.conftest import issue
from wire.disclosures import Disclosure, parse_disclosure
from wire.encoding import MAX_JSON_DEPTH
from wire.errors import DisclosureMismatch, Malformed, VerificationError
from wire.jws import parse_compact
from wire.sdjwt import split_presentation, unpack_claims


class _ReferenceUnpacker:
    """RFC 9901 §7.1 steps 3-5 written plainly (``wire.sdjwt`` before tuning)."""

    def __init__(self, by_digest: Mapping[str, tuple[str | None, Any]]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used: set[str] = set()

    def claim(self, digest: Any) -> tuple[str | None, Any] | None:
        if not isinstance(digest, str):
            raise Malformed()
        if digest in self.seen:
            raise DisclosureMismatch()
        self.seen.add(digest)
        found = self.by_digest.get(digest)
        if found is not None:
            self.used.add(digest)
        return found

    def unpack(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            raise Malformed()
        if isinstance(value, dict):
            return self.unpack_object(value, top=False, depth=depth)
        if isinstance(value, list):
            return self.unpack_array(value, depth)
        return value

    def unpack_object(self, obj: Mapping[str, Any], *, top: bool, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in obj.items():
            if key == "_sd" or (top and key == "_sd_alg"):
                continue
            if key == "...":
                raise Malformed()
            result[key] = self.unpack(item, depth + 1)
        digests = obj.get("_sd", [])
        if not isinstance(digests, list):
            raise Malformed()
        for digest in digests:
            found = self.claim(digest)
            if found is None:
                continue
            name, value = found
            if name is None or name in result:
                raise DisclosureMismatch()
            result[name] = self.unpack(value, depth + 1)
        return result

    def unpack_array(self, items: list[Any], depth: int) -> list[Any]:
        result: list[Any] = []
        for item in items:
            if isinstance(item, dict) and "..." in item:
                if len(item) != 1:
                    raise Malformed()
                found = self.claim(item["..."])
                if found is None:
                    continue
                name, value = found
                if name is not None:
                    raise DisclosureMismatch()
                result.append(self.unpack(value, depth + 1))
            else:
                result.append(self.unpack(item, depth + 1))
        return result


def _reference_unpack(
    payload: Mapping[str, Any], disclosed: Mapping[str, tuple[str | None, Any]]
) -> dict[str, Any]:
    state = _ReferenceUnpacker(disclosed)
    claims = state.unpack_object(payload, top=True, depth=1)
    if state.used != set(disclosed):
        raise DisclosureMismatch()
    return claims


DIGESTS = ["d0", "d1", "d2", "d3", "d4", "d5"]
DIGEST_ENTRIES = st.sampled_from([*DIGESTS, 7, None, ["d1"]])
NAMES = st.sampled_from(["a", "b", "c", "_sd_alg", "..."])


def _trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(
                children | st.fixed_dictionaries({"...": DIGEST_ENTRIES}) | st.just({"...": "d2"}),
                max_size=3,
            )
            | st.dictionaries(NAMES, children, max_size=3)
            | st.builds(
                lambda d, sd: {**d, "_sd": sd},
                st.dictionaries(NAMES, children, max_size=2),
                st.lists(DIGEST_ENTRIES, max_size=4) | st.sampled_from(["d1", 3]),
            )
        ),
        max_leaves=12,
    )


PAYLOADS = st.builds(
    lambda claims, digests: {**claims, "_sd": digests},
    st.dictionaries(NAMES, _trees(st.integers(0, 3) | st.just("x")), max_size=3),
    st.lists(DIGEST_ENTRIES, max_size=5),
)
DISCLOSED = st.dictionaries(
    st.sampled_from(DIGESTS),
    st.tuples(st.sampled_from([None, "a", "b", "c", "z"]), _trees(st.integers(0, 3))),
    max_size=6,
)


@settings(deadline=None, max_examples=600)
@given(PAYLOADS, DISCLOSED)
def test_digest_walk_matches_the_reference(
    payload: dict[str, Any], disclosed: dict[str, tuple[str | None, Any]]
) -> None:
    def outcome(walk: Any) -> Any:
        try:
            return walk(payload, disclosed)
        except VerificationError as error:
            return type(error)

    assert outcome(unpack_claims) == outcome(_reference_unpack)


@pytest.mark.parametrize("levels", range(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH + 3))
def test_digest_walk_depth_matches_the_reference(levels: int) -> None:
    # a chain of disclosures, each value an object holding the next one's digest
    disclosed: dict[str, tuple[str | None, Any]] = {"d0": ("leaf", 1)}
    for level in range(1, levels):
        disclosed[f"d{level}"] = (f"n{level}", {"_sd": [f"d{level - 1}"]})
    payload = {"_sd": [f"d{levels - 1}"]}
    outcomes: list[object] = []
    for walk in (unpack_claims, _reference_unpack):
        try:
            outcomes.append(walk(payload, disclosed))
        except VerificationError as error:
            outcomes.append(type(error))
    assert outcomes[0] == outcomes[1]


def test_process_payload_still_returns_parsed_disclosures() -> None:
    from wire.sdjwt import process_payload

    credential = issue()
    parts = split_presentation(credential.serialized)
    payload = parse_compact(parts.issuer_jwt, Malformed).payload
    claims, by_digest = process_payload(payload, list(parts.disclosures))
    assert all(isinstance(d, Disclosure) for d in by_digest.values())
    assert set(by_digest) == {parse_disclosure(d).digest for d in parts.disclosures}
    assert claims["name"] == credential_claim(credential, "name")


def credential_claim(credential: Any, name: str) -> Any:
    parts = split_presentation(credential.serialized)
    for encoded in parts.disclosures:
        disclosure = parse_disclosure(encoded)
        if disclosure.name == name:
            return disclosure.value
    raise KeyError(name)
