"""``permit eligibility``: JSON and table output, --list, and exit status 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from issuer.eligibility.cli import MAX_FACTS_BYTES, eligibility
from permit_cli.main import cli

from .test_eligibility import JURISDICTIONS, NOTHING

SHANGHAI_WORKER: dict[str, Any] = {
    **NOTHING,
    "has_residence_proof": True,
    "housing": "rented_registered",
    "employment": "contract",
    "social_insurance_months_continuous": 6,
}


def run(args: list[str], stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(eligibility, args, input=stdin)


def write(tmp_path: Path, facts: object) -> str:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    return str(path)


def assert_bad_input(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_json_output_parses(tmp_path: Path) -> None:
    result = run(["--jurisdiction", "shanghai", write(tmp_path, SHANGHAI_WORKER), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "permit"
    assert data["jurisdiction"] == "shanghai"
    assert "上海市居住证管理办法" in data["legal_basis"]
    ids = {c["id"] for c in data["conditions"]}
    assert {"stable_residence", "employment_route", "family_or_study_route"} <= ids


def test_facts_from_stdin() -> None:
    result = run(["-j", "jiangsu", "--json", "-"], stdin=json.dumps(NOTHING))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "registration"


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_table_output_lists_outcome_and_conditions(tmp_path: Path, jurisdiction: str) -> None:
    result = run(["-j", jurisdiction, write(tmp_path, NOTHING)])
    assert result.exit_code == 0, result.output
    expected = "ineligible" if jurisdiction == "chengdu" else "registration"
    assert f"Outcome: {expected}" in result.stdout
    assert "Legal basis:" in result.stdout
    assert "permit tier" in result.stdout
    assert "✗" in result.stdout


def test_ineligible_is_a_decision_and_exits_zero(tmp_path: Path) -> None:
    result = run(["-j", "chengdu", "--json", write(tmp_path, NOTHING)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["outcome"] == "ineligible"


def test_list_text() -> None:
    result = run(["--list"])
    assert result.exit_code == 0
    for jurisdiction in JURISDICTIONS:
        assert jurisdiction in result.stdout
    assert "居住证暂行条例" in result.stdout


def test_list_json() -> None:
    result = run(["--list", "--json"])
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    assert [entry["jurisdiction"] for entry in listing] == list(JURISDICTIONS)
    assert all(entry["legal_basis"] for entry in listing)


def test_registered_as_a_lazy_permit_subcommand(tmp_path: Path) -> None:
    args = ["eligibility", "-j", "shanghai", "--json", write(tmp_path, SHANGHAI_WORKER)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "permit"


def test_bad_fact_type(tmp_path: Path) -> None:
    facts = {**NOTHING, "residence_months": True}
    assert_bad_input(run(["-j", "national", write(tmp_path, facts)]), "residence_months")


def test_missing_fact(tmp_path: Path) -> None:
    facts = {k: v for k, v in NOTHING.items() if k != "studying"}
    assert_bad_input(run(["-j", "national", write(tmp_path, facts)]), "studying")


def test_unknown_fact(tmp_path: Path) -> None:
    facts = {**NOTHING, "name": "张三"}
    result = run(["-j", "national", write(tmp_path, facts)])
    assert_bad_input(result, "unknown fact", "name")
    assert "张三" not in result.stderr


def test_value_is_not_echoed(tmp_path: Path) -> None:
    facts = {**NOTHING, "housing": "北京市朝阳区某街道1号"}
    result = run(["-j", "national", write(tmp_path, facts)])
    assert_bad_input(result, "housing")
    assert "朝阳区" not in result.stderr


def test_facts_must_be_an_object(tmp_path: Path) -> None:
    assert_bad_input(run(["-j", "national", write(tmp_path, [1, 2])]), "object")


def test_invalid_json() -> None:
    assert_bad_input(run(["-j", "national", "-"], stdin="{not json"), "not valid JSON")


def test_deeply_nested_json_is_bad_input_not_a_traceback() -> None:
    nested = "[" * 20_000 + "]" * 20_000  # under the size limit, past the recursion limit
    assert_bad_input(run(["-j", "national", "-"], stdin=nested), "not valid JSON")


def test_duplicate_fact() -> None:
    text = json.dumps(NOTHING)[:-1] + ', "studying": true}'
    assert_bad_input(run(["-j", "national", "-"], stdin=text), "twice", "studying")


def test_not_utf8() -> None:
    assert_bad_input(run(["-j", "national", "-"], stdin=b'{"a": "\xff"}'), "UTF-8")


def test_too_large() -> None:
    assert_bad_input(run(["-j", "national", "-"], stdin=" " * (MAX_FACTS_BYTES + 1)), "large")


def test_missing_file(tmp_path: Path) -> None:
    assert_bad_input(run(["-j", "national", str(tmp_path / "absent.json")]), "cannot read")


def test_unknown_jurisdiction(tmp_path: Path) -> None:
    assert_bad_input(run(["-j", "beijing", write(tmp_path, NOTHING)]), "unknown jurisdiction")


def test_jurisdiction_required(tmp_path: Path) -> None:
    assert_bad_input(run([write(tmp_path, NOTHING)]), "--jurisdiction")


def test_facts_file_required() -> None:
    assert_bad_input(run(["-j", "national"]), "FACTS.json")
