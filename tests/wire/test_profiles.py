"""Relying-party profiles (DESIGN §7): the shipped defaults, strict loading, claim filtering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.wire.conftest import CLAIMS
from wire.errors import ConfigurationError
from wire.profiles import Profile, filter_claims, has_claims, load_profiles, parse_profiles

#: DESIGN §7's table, transcribed: claims, paper QR, verifier-bound.
DESIGN_TABLE: dict[str, tuple[set[str], bool, bool]] = {
    "any": (set(), False, False),
    "landlord": (
        {"name", "permit_class", "residence_address.district", "endorsed_until"},
        True,
        False,
    ),
    "school": ({"name", "residence_address", "first_issued", "permit_class"}, True, False),
    "bank": ({"name", "id_number", "residence_address", "endorsed_until"}, False, True),
    "hospital": ({"name", "id_number", "endorsed_until"}, False, True),
    "agency": (
        {
            "permit_no",
            "name",
            "sex",
            "birth_date",
            "id_number",
            "hukou_address",
            "residence_address",
            "permit_class",
            "issuing_authority",
            "first_issued",
            "endorsed_until",
            "age_over_18",
            "age_over_60",
        },
        False,
        True,
    ),
}


def test_defaults_match_design_table() -> None:
    profiles = load_profiles()
    assert set(profiles) == set(DESIGN_TABLE)
    for name, (claims, paper, bound) in DESIGN_TABLE.items():
        profile = profiles[name]
        assert profile.name == name
        assert (set(profile.claims), profile.paper, profile.verifier_bound) == (
            claims,
            paper,
            bound,
        )
        assert len(profile.claims) == len(set(profile.claims))
        assert profile.description


def test_any_discloses_everything_only() -> None:
    assert [p.name for p in load_profiles().values() if p.discloses_everything] == ["any"]


def test_load_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    document = {
        "version": 1,
        "profiles": {
            "hotel": {"claims": ["name", "id_number"], "paper": True, "verifier_bound": False}
        },
    }
    path.write_text(json.dumps(document), "utf-8")
    assert load_profiles(path) == {
        "hotel": Profile("hotel", ("name", "id_number"), True, False, "")
    }


def test_unreadable_or_invalid_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_profiles(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(ConfigurationError):
        load_profiles(bad)


def _doc(**entry: Any) -> dict[str, Any]:
    base = {"claims": ["name"], "paper": False, "verifier_bound": False}
    return {"version": 1, "profiles": {"p": {**base, **entry}}}


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"profiles": {}},
        {"version": 2, "profiles": _doc()["profiles"]},
        {"version": "1", "profiles": _doc()["profiles"]},
        {"version": 1, "profiles": {}},
        {"version": 1, "profiles": []},
        {"version": 1, "profiles": {"p": []}},
        _doc(claims="name"),
        _doc(claims=["nickname"]),
        _doc(claims=["residence_address.floor"]),
        _doc(claims=["iss"]),
        _doc(claims=[1]),
        _doc(paper="yes"),
        _doc(paper=None),
        _doc(verifier_bound=1),
        _doc(paper=True, verifier_bound=True),
    ],
    ids=repr,
)
def test_any_defect_refuses_the_whole_document(document: Any) -> None:
    with pytest.raises(ConfigurationError):
        parse_profiles(document)


# --- has_claims / filter_claims ---------------------------------------------------------


def test_has_claims() -> None:
    assert has_claims(CLAIMS, ["name", "residence_address", "residence_address.street"])
    partial = {**CLAIMS, "residence_address": {"district": "浦东新区"}}
    assert has_claims(partial, ["residence_address.district"])
    assert not has_claims(partial, ["residence_address"])  # an object path needs all parts
    assert not has_claims(partial, ["residence_address.street"])
    assert not has_claims({"name": "x"}, ["name", "id_number"])
    assert not has_claims({"residence_address": "上海"}, ["residence_address.district"])
    assert has_claims({}, [])


def test_filter_claims_keeps_nesting_and_only_profile_claims() -> None:
    profiles = load_profiles()
    assert filter_claims(CLAIMS, profiles["landlord"]) == {
        "name": "张三丰",
        "permit_class": "standard",
        "residence_address": {"district": "浦东新区"},
        "endorsed_until": "2027-03-01",
    }
    assert filter_claims(CLAIMS, profiles["hospital"]) == {
        "name": "张三丰",
        "id_number": "11010519491231002X",
        "endorsed_until": "2027-03-01",
    }
    assert filter_claims(CLAIMS, profiles["any"]) == CLAIMS
    assert filter_claims({"name": "x"}, profiles["landlord"]) == {"name": "x"}


def test_filter_claims_does_not_alias_the_input() -> None:
    result = filter_claims(CLAIMS, load_profiles()["any"])
    result["name"] = "changed"
    assert CLAIMS["name"] == "张三丰"
