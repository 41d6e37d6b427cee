"""Rule files: the packaged ones load, and malformed ones fail at load time with a clear error."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from issuer.eligibility import (
    RuleFileError,
    decode_rules,
    list_jurisdictions,
    load_rules,
    parse_ruleset,
)
from issuer.eligibility import loader as loader_module
from wire.errors import ConfigurationError, InvalidInput

from .test_eligibility import JURISDICTIONS

#: A minimal valid rule file; each bad case below mutates one spot of a deep copy.
VALID: dict[str, Any] = {
    "format": 1,
    "jurisdiction": "testland",
    "name_zh": "测试市",
    "name_en": "Testland",
    "legal_basis": {"zh": "《测试办法》", "en": "Test Measures"},
    "tiers": [
        {
            "outcome": "permit",
            "when": {
                "id": "permit",
                "zh": "全部满足",
                "en": "All of",
                "all": [
                    {
                        "id": "stay",
                        "zh": "拟居住",
                        "en": "Stay",
                        "fact": "intended_stay_days",
                        "op": ">=",
                        "value": 30,
                    },
                    {
                        "id": "housing",
                        "zh": "住所",
                        "en": "Housing",
                        "fact": "housing",
                        "op": "in",
                        "value": ["owned"],
                    },
                ],
            },
        }
    ],
    "default": "registration",
}


def mutated(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """Deep copy of VALID with ``value`` at ``path`` (a ``...`` value deletes the key)."""
    doc = copy.deepcopy(VALID)
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


LEAF = ("tiers", 0, "when", "all", 0)
ENUM_LEAF = ("tiers", 0, "when", "all", 1)
ROOT = ("tiers", 0, "when")


def test_minimal_valid_file_parses() -> None:
    rules = parse_ruleset(VALID, source="testland.json")
    assert rules.jurisdiction == "testland"
    assert rules.default == "registration"
    assert rules.tiers[0].outcome == "permit"


def test_default_outcome_defaults_to_registration() -> None:
    rules = parse_ruleset(mutated(("default",), ...), source="t.json")
    assert rules.default == "registration"


BAD_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown fact", mutated((*LEAF, "fact"), "salary"), "all[0].fact", "unknown fact 'salary'"),
    ("unknown op", mutated((*LEAF, "op"), "=>"), "all[0].op", "unknown op '=>'"),
    ("op not for enum", mutated((*ENUM_LEAF, "op"), ">="), "all[1].op", "does not apply"),
    ("op not for int", mutated((*LEAF, "op"), "in"), "all[0].op", "does not apply"),
    ("bool as int value", mutated((*LEAF, "value"), True), "all[0].value", "integer"),
    ("string as int value", mutated((*LEAF, "value"), "30"), "all[0].value", "integer"),
    ("float as int value", mutated((*LEAF, "value"), 30.0), "all[0].value", "integer"),
    ("negative int value", mutated((*LEAF, "value"), -1), "all[0].value", "integer"),
    ("enum value not a choice", mutated((*ENUM_LEAF, "value"), ["castle"]), "all[1].value", "from"),
    ("in needs a list", mutated((*ENUM_LEAF, "value"), "owned"), "all[1].value", "from"),
    ("in needs values", mutated((*ENUM_LEAF, "value"), []), "all[1].value", "from"),
    (
        "in with duplicates",
        mutated((*ENUM_LEAF, "value"), ["owned", "owned"]),
        "all[1].value",
        "distinct",
    ),
    ("missing value", mutated((*LEAF, "value"), ...), "all[0]", "missing key 'value'"),
    ("missing op", mutated((*LEAF, "op"), ...), "all[0].op", "unknown op None"),
    ("missing zh", mutated((*LEAF, "zh"), ...), "all[0].zh", "non-empty string"),
    ("blank en", mutated((*LEAF, "en"), " "), "all[0].en", "non-empty string"),
    ("missing id", mutated((*LEAF, "id"), ...), "all[0].id", "non-empty string"),
    ("bad id", mutated((*LEAF, "id"), "Stay Days"), "all[0].id", "must match"),
    ("duplicate id", mutated((*LEAF, "id"), "housing"), "all[1].id", "duplicate id 'housing'"),
    ("unknown node key", mutated((*LEAF, "note"), "x"), "all[0]", "unknown key 'note'"),
    ("no shape", mutated((*LEAF, "fact"), ...), "all[0]", "exactly one of"),
    ("two shapes", mutated((*ROOT, "any"), []), "when", "exactly one of"),
    ("empty all", mutated((*ROOT, "all"), []), "when.all", "non-empty list"),
    ("all not a list", mutated((*ROOT, "all"), {}), "when.all", "non-empty list"),
    ("op on composite", mutated((*ROOT, "op"), ">="), "when", "belong to a 'fact'"),
    ("node not object", mutated(LEAF, 5), "all[0]", "must be an object"),
    ("bad tier outcome", mutated(("tiers", 0, "outcome"), "visa"), "outcome", "one of"),
    ("missing when", mutated(("tiers", 0, "when"), ...), "tiers[0]", "missing key 'when'"),
    ("bad default", mutated(("default",), "maybe"), "$.default", "one of"),
    ("default equals tier", mutated(("default",), "permit"), "outcome", "more than once"),
    ("no tiers", mutated(("tiers",), []), "$.tiers", "non-empty list"),
    ("wrong format", mutated(("format",), 2), "$.format", "must be 1"),
    ("bool format", mutated(("format",), True), "$.format", "must be 1"),
    ("missing legal basis", mutated(("legal_basis",), ...), "$.legal_basis", "an object"),
    ("legal basis text", mutated(("legal_basis", "zh"), ""), "$.legal_basis.zh", "non-empty"),
    ("bad jurisdiction", mutated(("jurisdiction",), "Test Land"), "$.jurisdiction", "lower-case"),
    ("unknown top key", mutated(("author",), "me"), "$", "unknown key 'author'"),
]


@pytest.mark.parametrize(
    ("doc", "location", "problem"),
    [case[1:] for case in BAD_CASES],
    ids=[case[0] for case in BAD_CASES],
)
def test_bad_rule_files_fail_at_load_with_location(
    doc: dict[str, Any], location: str, problem: str
) -> None:
    with pytest.raises(RuleFileError) as info:
        parse_ruleset(doc, source="testland.json")
    error = info.value
    assert location in error.location
    assert problem in error.problem
    assert str(error).startswith("testland.json: ")
    assert isinstance(error, ConfigurationError)


def test_duplicate_tier_outcomes_are_refused() -> None:
    doc = copy.deepcopy(VALID)
    second = copy.deepcopy(doc["tiers"][0])
    second["when"] = {
        "id": "again",
        "zh": "再",
        "en": "Again",
        "fact": "studying",
        "op": "==",
        "value": True,
    }
    doc["tiers"].append(second)
    with pytest.raises(RuleFileError, match="more than once"):
        parse_ruleset(doc, source="t.json")


@pytest.mark.parametrize(
    ("fact", "op", "value"),
    [
        ("studying", ">=", 1),
        ("studying", "==", 1),
        ("studying", "==", "true"),
        ("employment", "==", "Contract"),
        ("employment", "!=", ["none"]),
        ("housing", "not_in", ["none", "tent"]),
    ],
)
def test_value_types_follow_the_fact_schema(fact: str, op: str, value: object) -> None:
    doc = mutated(LEAF, {"id": "x", "zh": "x", "en": "x", "fact": fact, "op": op, "value": value})
    with pytest.raises(RuleFileError):
        parse_ruleset(doc, source="t.json")


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(RuleFileError, match="must be an object"):
        parse_ruleset([], source="t.json")


def test_decode_rules_refuses_invalid_json() -> None:
    with pytest.raises(RuleFileError, match="not valid JSON"):
        decode_rules("{", source="t.json")


def test_decode_rules_refuses_duplicate_keys() -> None:
    text = json.dumps(VALID)[:-1] + ', "default": "ineligible"}'
    with pytest.raises(RuleFileError, match="duplicate key 'default'"):
        decode_rules(text, source="t.json")


def test_decode_rules_refuses_nan() -> None:
    text = json.dumps(mutated((*LEAF, "value"), 1)).replace('"value": 1', '"value": NaN')
    with pytest.raises(RuleFileError, match="not valid JSON"):
        decode_rules(text, source="t.json")


def test_decode_rules_accepts_the_valid_document() -> None:
    assert decode_rules(json.dumps(VALID), source="t.json").name_en == "Testland"


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_packaged_rules_load(jurisdiction: str) -> None:
    rules = load_rules(jurisdiction)
    assert rules.jurisdiction == jurisdiction
    assert rules.legal_basis.zh
    assert rules.legal_basis.en
    assert rules.tiers[0].outcome == "permit"


def test_only_chengdu_has_more_tiers_than_permit() -> None:
    outcomes = {j: [t.outcome for t in load_rules(j).tiers] for j in JURISDICTIONS}
    assert outcomes.pop("chengdu") == ["permit", "temporary_permit", "registration"]
    assert load_rules("chengdu").default == "ineligible"
    assert all(tiers == ["permit"] for tiers in outcomes.values())
    assert all(load_rules(j).default == "registration" for j in outcomes)


def test_legal_basis_cites_the_seeded_regulations() -> None:
    assert "居住证暂行条例" in load_rules("national").legal_basis.zh
    assert "上海市居住证管理办法" in load_rules("shanghai").legal_basis.zh
    assert "深圳经济特区居住证条例" in load_rules("shenzhen").legal_basis.zh
    assert "成都市居住证管理规定" in load_rules("chengdu").legal_basis.zh
    assert "郑州市居住证管理暂行办法" in load_rules("zhengzhou").legal_basis.zh
    assert "苏政发〔2014〕138号" in load_rules("jiangsu").legal_basis.zh


@pytest.mark.parametrize(
    "name", ["", "beijing", "National", "../national", "national.json", "rules/national"]
)
def test_unknown_jurisdiction_is_invalid_input(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        load_rules(name)
    assert info.value.field == "jurisdiction"


def test_non_string_jurisdiction_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as info:
        load_rules(None)  # type: ignore[arg-type]
    assert info.value.field == "jurisdiction"


def test_rules_directory_is_a_package_so_setuptools_ships_the_files() -> None:
    files = resources.files("issuer.eligibility.rules")
    assert files.joinpath("__init__.py").is_file()
    assert {f"{j}.json" for j in JURISDICTIONS} <= {entry.name for entry in files.iterdir()}


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the loader at ``tmp_path`` instead of the packaged rules directory."""
    monkeypatch.setattr(
        loader_module, "resources", SimpleNamespace(files=lambda _package: tmp_path)
    )
    return tmp_path


def test_load_rules_validates_the_file_it_reads(rules_dir: Path) -> None:
    (rules_dir / "testland.json").write_text(
        json.dumps(mutated((*LEAF, "fact"), "salary")), encoding="utf-8"
    )
    assert list_jurisdictions() == ("testland",)
    with pytest.raises(RuleFileError, match=r"testland\.json: .*unknown fact 'salary'"):
        load_rules("testland")


def test_load_rules_checks_the_file_name_matches(rules_dir: Path) -> None:
    (rules_dir / "otherland.json").write_text(json.dumps(VALID), encoding="utf-8")
    with pytest.raises(RuleFileError, match="does not match the file name"):
        load_rules("otherland")


def test_list_ignores_non_rule_files(rules_dir: Path) -> None:
    (rules_dir / "testland.json").write_text(json.dumps(VALID), encoding="utf-8")
    (rules_dir / "README.md").write_text("notes", encoding="utf-8")
    (rules_dir / "Bad Name.json").write_text("{}", encoding="utf-8")
    (rules_dir / "dir.json").mkdir()
    assert list_jurisdictions() == ("testland",)
    assert load_rules("testland").name_en == "Testland"
