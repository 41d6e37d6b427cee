"""Reading and writing a StatusList: ``status_at`` edges and bad indices, issuer-side misuse,
and properties against a plain model.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wire.statuslist_helpers import signed_token, verify_token
from wire.errors import StatusInvalid
from wire.statuslist import INVALID, SUSPENDED, VALID, StatusList, status_at


@pytest.mark.parametrize("idx", [-1, 16, 10**30, True, False, 1.0, "0", None])
def test_status_at_rejects_bad_index(idx: Any) -> None:
    status_list = StatusList.from_entries(16, 1, {0: 1})
    with pytest.raises(StatusInvalid):
        status_at(status_list, idx)
    token = verify_token(signed_token(status_list=status_list.to_json()))
    with pytest.raises(StatusInvalid):
        status_at(token, idx)


def test_status_at_edges() -> None:
    status_list = StatusList.from_entries(12, 2, {0: 1, 11: 2})
    assert status_at(status_list, 0) == INVALID
    assert status_at(status_list, 11) == SUSPENDED
    assert status_at(status_list, 5) == VALID


def test_issuer_api_misuse() -> None:
    status_list = StatusList(10, 2)
    for size in (0, -1, True):
        with pytest.raises(ValueError):
            StatusList(size, 2)
    with pytest.raises(ValueError):
        status_list.set(0, 4)
    with pytest.raises(ValueError):
        status_list.set(0, -1)
    with pytest.raises(ValueError):
        status_list.set(0, True)
    with pytest.raises(IndexError):
        status_list.set(10, 1)
    with pytest.raises(IndexError):
        status_list.get(-1)
    with pytest.raises(TypeError):
        status_list.get(True)
    with pytest.raises(ValueError):
        StatusList.from_bytes(b"", 1)
    with pytest.raises(ValueError):
        StatusList.from_json({"bits": 1, "lst": "eNrbuRgAAhcBXQ"}, max_bytes=0)


def test_from_entries_accepts_pairs_and_last_write_wins() -> None:
    built = StatusList.from_entries(8, 4, [(1, 3), (1, 9), (7, 15)])
    assert [built.get(i) for i in range(8)] == [0, 9, 0, 0, 0, 0, 0, 15]


def test_large_list_round_trips() -> None:
    """A production-sized list (timing lives in bench/, never in tests)."""
    entries = {idx: 1 + idx % 2 for idx in range(0, 1_000_000, 97)}
    built = StatusList.from_entries(1_000_000, 2, entries)
    encoded = built.to_json()
    decoded = StatusList.from_json(encoded, max_bytes=250_000)
    assert decoded == built


# --- properties -------------------------------------------------------------------------------


@st.composite
def _lists(draw: st.DrawFn) -> tuple[int, int, dict[int, int]]:
    bits = draw(st.sampled_from([1, 2, 4, 8]))
    size = draw(st.integers(min_value=1, max_value=2000))
    entries = draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=0, max_value=(1 << bits) - 1),
            max_size=64,
        )
    )
    return size, bits, entries


@settings(max_examples=150, deadline=None)
@given(_lists())
def test_round_trip(case: tuple[int, int, dict[int, int]]) -> None:
    size, bits, entries = case
    built = StatusList.from_entries(size, bits, entries)
    decoded = StatusList.from_json(built.to_json(), max_bytes=(size * bits + 7) // 8)
    assert decoded.bits == bits
    assert decoded.to_bytes() == built.to_bytes()
    assert len(decoded) == len(built.to_bytes()) * 8 // bits >= size
    for idx in range(len(decoded)):
        assert decoded.get(idx) == entries.get(idx, 0)


@settings(max_examples=150, deadline=None)
@given(_lists(), st.data())
def test_set_get_matches_a_dict_model(
    case: tuple[int, int, dict[int, int]], data: st.DataObject
) -> None:
    size, bits, _ = case
    status_list = StatusList(size, bits)
    model: dict[int, int] = {}
    writes = data.draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=size - 1),
                st.integers(min_value=0, max_value=(1 << bits) - 1),
            ),
            max_size=100,
        )
    )
    for idx, value in writes:
        status_list.set(idx, value)
        model[idx] = value
        assert status_list.get(idx) == value
    assert all(status_list.get(idx) == model.get(idx, 0) for idx in range(size))
    assert status_list == StatusList.from_entries(size, bits, model)
