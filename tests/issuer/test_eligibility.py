"""Public surface and decision shape of issuer.eligibility, plus helpers the sibling tests use.

The helpers live here (not in a conftest) so every eligibility test module imports one
definition of "an applicant who meets nothing".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import issuer.eligibility as eligibility
from issuer.eligibility import Decision, Facts, decide, list_jurisdictions, load_rules
from issuer.eligibility.engine import ConditionResult
from issuer.eligibility.ruleset import iter_conditions

#: An applicant who meets no condition anywhere: the baseline every test overrides.
NOTHING: dict[str, Any] = {
    "residence_months": 0,
    "intended_stay_days": 0,
    "housing": "none",
    "has_residence_proof": False,
    "employment": "none",
    "has_business_license": False,
    "social_insurance_months_continuous": 0,
    "social_insurance_months_last_24": 0,
    "studying": False,
    "joining_hukou_relative": False,
    "meets_settlement_conditions": False,
    "minor_child_of_holder": False,
}

JURISDICTIONS = ("chengdu", "jiangsu", "national", "shanghai", "shenzhen", "zhengzhou")


def make_facts(**overrides: Any) -> Facts:
    """Facts of :data:`NOTHING` with ``overrides`` applied."""
    return Facts.from_mapping({**NOTHING, **overrides})


def decision_for(jurisdiction: str, **overrides: Any) -> Decision:
    """Decide ``jurisdiction`` for :func:`make_facts` of ``overrides``."""
    return decide(load_rules(jurisdiction), make_facts(**overrides))


def condition(decision: Decision, condition_id: str) -> ConditionResult:
    """The one listed condition with ``condition_id`` (fails if absent or repeated)."""
    found = [c for c in decision.conditions if c.id == condition_id]
    assert len(found) == 1, f"{condition_id} listed {len(found)} times"
    return found[0]


def test_public_surface_is_pinned() -> None:
    assert sorted(eligibility.__all__) == sorted(
        [
            "FACT_SPECS",
            "OUTCOMES",
            "ConditionResult",
            "Decision",
            "Facts",
            "Outcome",
            "RuleFileError",
            "RuleSet",
            "decide",
            "decode_rules",
            "list_jurisdictions",
            "load_rules",
            "parse_ruleset",
        ]
    )
    for name in eligibility.__all__:
        assert hasattr(eligibility, name)


def test_jurisdictions_are_exactly_the_six() -> None:
    assert list_jurisdictions() == JURISDICTIONS


def test_decision_json_shape() -> None:
    decision = decision_for("national", residence_months=6, employment="contract")
    data = json.loads(decision.to_json())
    assert data == decision.to_dict()
    assert data["outcome"] == "permit"
    assert data["jurisdiction"] == "national"
    assert "居住证暂行条例" in data["legal_basis"]
    assert "2016" in data["legal_basis"]
    assert data["decided_by"] == "permit"
    for entry in data["conditions"]:
        assert set(entry) == {
            "id",
            "met",
            "description_zh",
            "description_en",
            "because",
            "tier",
            "parent",
        }
        assert isinstance(entry["met"], bool)
        assert entry["because"]
        assert entry["description_zh"]
        assert entry["description_en"]
    # Chinese text is kept readable, not \\u-escaped.
    assert "居住" in decision.to_json()


def test_decision_is_frozen() -> None:
    decision = decision_for("jiangsu")
    with pytest.raises(AttributeError):
        decision.outcome = "permit"  # type: ignore[misc]


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_every_condition_of_evaluated_tiers_is_listed_in_order(jurisdiction: str) -> None:
    rules = load_rules(jurisdiction)
    decision = decide(rules, make_facts())
    expected = [node.id for tier in rules.tiers for node in iter_conditions(tier.when)]
    # Nothing is met, so every tier was evaluated and every node must appear, parents first.
    assert [c.id for c in decision.conditions] == expected
    assert all(not c.met for c in decision.conditions)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_meeting_nothing_is_never_a_silent_refusal(jurisdiction: str) -> None:
    decision = decision_for(jurisdiction)
    expected = "ineligible" if jurisdiction == "chengdu" else "registration"
    assert decision.outcome == expected
    assert decision.decided_by is None
    assert decision.conditions
    assert all(c.because for c in decision.conditions)


def test_meeting_nothing_with_a_week_in_chengdu_is_registration() -> None:
    decision = decision_for("chengdu", intended_stay_days=7)
    assert decision.outcome == "registration"
    assert decision.decided_by == "registration"


def test_because_states_value_and_threshold() -> None:
    decision = decision_for("national", residence_months=5, studying=True)
    assert condition(decision, "resided_6_months").because == "residence_months = 5, needs ≥ 6"
    assert condition(decision, "continuous_study").because == "studying = true, needs true"
    assert condition(decision, "stable_employment").because == "employment = none, needs ≠ none"
    assert condition(decision, "stable_residence.housing").because == (
        "housing = none, needs one of owned, rented_registered, relative"
    )
    assert condition(decision, "one_of_three").because == (
        "1 of 3 sub-conditions met, needs at least 1"
    )
    assert condition(decision, "permit").because == (
        "1 of 2 sub-conditions met, needs all 2 (not met: resided_6_months)"
    )


def test_parent_links_rebuild_the_tree() -> None:
    decision = decision_for("shanghai")
    parents = {c.id: c.parent for c in decision.conditions}
    assert parents["permit"] is None
    assert parents["stable_residence"] == "permit"
    assert parents["stable_residence.proof"] == "stable_residence"
    assert parents["family_or_study_route.joining_relative"] == "family_or_study_route.reason"


def test_tiers_after_the_winning_one_are_not_listed() -> None:
    decision = decision_for("chengdu", intended_stay_days=400, has_business_license=True)
    assert decision.outcome == "permit"
    assert {c.tier for c in decision.conditions} == {"permit"}
    # ...but every branch of the winning tier is, including those not needed.
    assert condition(decision, "minor_child_of_holder").met is False
