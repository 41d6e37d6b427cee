"""Fuzzing disclosures, the ``~`` split and claim processing (wire/disclosures.py, wire/sdjwt.py).

Each parser gets arbitrary and near-valid input and must answer with a value or its documented
error: ``invalid_disclosure`` for a disclosure, ``malformed`` for the split, and for
``process_payload`` only the four codes of RFC 9901 §7.1 processing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

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
from tests.wire.conftest import decode_jwt, issue
from wire.disclosures import (
    RESERVED_NAMES,
    Disclosure,
    disclosed_claim,
    make_disclosure,
    parse_disclosure,
)
from wire.encoding import b64u_decode, b64u_encode, parse_json
from wire.errors import (
    DisclosureMismatch,
    InvalidDisclosure,
    Malformed,
    PermitError,
    UnsupportedAlg,
)
from wire.sdjwt import SdJwtParts, join_presentation, process_payload, split_presentation

_NAMES = st.sampled_from(sorted(RESERVED_NAMES)) | st.text(max_size=8)


@st.composite
def _disclosure_arrays(draw: st.DrawFn) -> bytes:
    """JSON arrays of 0-4 elements around the disclosure shape, serialised loosely."""
    items: list[Any] = draw(st.lists(JSON_VALUES, max_size=4))
    string_salt, named = draw(st.booleans()), draw(st.booleans())
    if items and string_salt:
        items[0] = draw(st.text(max_size=8))
    if len(items) == 3 and named:
        items[1] = draw(_NAMES)
    return json.dumps(items, ensure_ascii=draw(st.booleans())).encode()


def _reference_disclosure(encoded: str) -> tuple[str, str | None, Any] | None:
    try:
        data = parse_json(b64u_decode(encoded, Malformed))
    except (ValueError, Malformed):
        return None
    if not isinstance(data, list) or len(data) not in (2, 3) or not isinstance(data[0], str):
        return None
    if len(data) == 2:
        return data[0], None, data[1]
    if not isinstance(data[1], str) or data[1] in RESERVED_NAMES:
        return None
    return data[0], data[1], data[2]


@fuzz_settings(150)
@given(
    hostile_text(40)
    | (_disclosure_arrays() | hostile_json() | st.binary(max_size=30)).map(b64u_encode)
)
def test_parse_disclosure_agrees_with_the_shape_rules(encoded: str) -> None:
    expected = _reference_disclosure(encoded)
    disclosure = attempt(lambda: parse_disclosure(encoded))
    if expected is None:
        assert type(disclosure) is InvalidDisclosure
        return
    assert isinstance(disclosure, Disclosure)
    assert (disclosure.salt, disclosure.name, disclosure.value) == expected
    assert disclosure.encoded == encoded
    expected_digest = b64u_encode(hashlib.sha256(encoded.encode("ascii")).digest())
    assert disclosure.digest == expected_digest


@fuzz_settings(60)
@given(JSON_VALUES | st.lists(JSON_VALUES, max_size=4))
def test_disclosed_claim_returns_a_pair_or_invalid_disclosure(array: Any) -> None:
    claim = attempt(lambda: disclosed_claim(array))
    shaped = isinstance(array, list) and len(array) in (2, 3) and isinstance(array[0], str)
    if not shaped or (
        len(array) == 3 and (not isinstance(array[1], str) or array[1] in RESERVED_NAMES)
    ):
        assert type(claim) is InvalidDisclosure
    else:
        assert claim == (array[1] if len(array) == 3 else None, array[-1])


@fuzz_settings(150)
@given(st.text(alphabet="~.aZ-_é\n", max_size=30) | hostile_text(30))
def test_split_presentation_is_the_inverse_of_join_or_malformed(text: str) -> None:
    pieces = text.split("~")
    parts = attempt(lambda: split_presentation(text))
    if len(pieces) < 2 or not pieces[0] or "" in pieces[1:-1]:
        assert type(parts) is Malformed
        return
    assert isinstance(parts, SdJwtParts)
    assert join_presentation(parts.issuer_jwt, parts.disclosures, parts.kb_jwt) == text
    assert (parts.kb_jwt is None) == text.endswith("~")
    assert parts.without_kb == text[: text.rfind("~") + 1]


# --- claim processing -------------------------------------------------------------------------

_CREDENTIAL = issue(seed=11)
_PAYLOAD = decode_jwt(_CREDENTIAL.issuer_jwt)[1]
_ENCODED = tuple(d.encoded for d in _CREDENTIAL.disclosures)
_DIGESTS = tuple(d.digest for d in _CREDENTIAL.disclosures)


def _structural_keys(value: Any) -> bool:
    """Whether ``_sd`` or a ``{"...": digest}`` element survived anywhere in processed claims."""
    if isinstance(value, dict):
        return "_sd" in value or "..." in value or any(map(_structural_keys, value.values()))
    if isinstance(value, list):
        return any(map(_structural_keys, value))
    return False


@st.composite
def _disclosure_lists(draw: st.DrawFn) -> list[str]:
    """The credential's disclosures, some dropped, repeated, reordered or foreign."""
    chosen = draw(st.lists(st.sampled_from(_ENCODED), max_size=len(_ENCODED) + 2))
    if draw(st.booleans()):
        name = draw(st.none() | _NAMES)
        foreign = make_disclosure(
            name if name not in ("_sd", "...") else None, draw(JSON_VALUES), lambda: b"s" * 16
        )
        chosen.insert(draw(st.integers(0, len(chosen))), foreign.encoded)
    return chosen


@fuzz_settings(100)
@given(
    mutated(
        _PAYLOAD,
        names=("_sd", "_sd_alg", "...", "residence_address"),
        values=JSON_VALUES | st.sampled_from(_DIGESTS) | st.just({"...": _DIGESTS[0]}),
    ),
    _disclosure_lists(),
)
def test_process_payload_raises_only_processing_codes(
    payload: dict[str, Any], disclosures: list[str]
) -> None:
    payload = payload if isinstance(payload, dict) else {"_sd": [], "value": payload}
    processed = attempt(lambda: process_payload(payload, disclosures))
    if isinstance(processed, PermitError):
        assert type(processed) in (Malformed, DisclosureMismatch, InvalidDisclosure, UnsupportedAlg)
        return
    claims, by_digest = processed
    # Every disclosure was used exactly once, and no structural member leaks into the claims.
    assert len(by_digest) == len(disclosures)
    assert not _structural_keys({k: v for k, v in claims.items() if k != "_sd_alg"})
    assert "_sd_alg" not in claims
