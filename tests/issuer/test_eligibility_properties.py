"""Property tests: for any valid facts, every jurisdiction decides, consistently and correctly.

Two independent checks: the decision is internally consistent (the outcome is the first tier
whose listed root condition is met, each ``all``/``any`` agrees with its listed children), and it
matches an oracle written in plain Python straight from the brief, so a rule file that parses
but encodes the wrong policy is caught.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from issuer.eligibility import FACT_SPECS, Facts, RuleSet, decide, load_rules
from issuer.eligibility.ruleset import AllOf, AnyOf, iter_conditions
from wire.errors import InvalidInput

from .test_eligibility import JURISDICTIONS

#: Every boundary of every rule file, and its neighbours, plus a wide random range.
_BOUNDARIES = sorted({n + d for n in (6, 7, 12, 18, 24, 30, 180, 365) for d in (-1, 0, 1)})


def _months_or_days() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(_BOUNDARIES), st.integers(min_value=0, max_value=5000))


def _fact_strategy(name: str) -> st.SearchStrategy[Any]:
    spec = FACT_SPECS[name]
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "enum":
        return st.sampled_from(spec.choices)
    if spec.maximum is not None:
        return st.integers(min_value=0, max_value=spec.maximum)
    return _months_or_days()


FACT_MAPPINGS = st.fixed_dictionaries({name: _fact_strategy(name) for name in FACT_SPECS})
FACTS = FACT_MAPPINGS.map(Facts.from_mapping)

RULES: dict[str, RuleSet] = {name: load_rules(name) for name in JURISDICTIONS}


# --- the oracle: the brief's rules, transcribed by hand ------------------------------------


def _national(f: Facts) -> str:
    residence = f.housing in {"owned", "rented_registered", "relative"} and f.has_residence_proof
    basis = f.employment != "none" or residence or f.studying
    return "permit" if f.residence_months >= 6 and basis else "registration"


def _shanghai(f: Facts) -> str:
    stable = f.has_residence_proof and f.housing != "none"
    work = f.employment != "none" and f.social_insurance_months_continuous >= 6
    family = (f.joining_hukou_relative or f.studying) and f.intended_stay_days >= 180
    return "permit" if stable and (work or family) else "registration"


def _shenzhen(f: Facts) -> str:
    ok = (
        f.residence_months >= 12
        and f.has_residence_proof
        and f.housing != "none"
        and f.employment != "none"
        and (f.social_insurance_months_continuous >= 12 or f.social_insurance_months_last_24 >= 18)
    )
    return "permit" if ok else "registration"


def _chengdu(f: Facts) -> str:
    insured = f.social_insurance_months_continuous >= 6
    qualifies = (
        (f.housing in {"owned", "rented_registered"} and insured)
        or (f.employment == "contract" and insured)
        or f.has_business_license
        or f.meets_settlement_conditions
        or f.minor_child_of_holder
    )
    if f.intended_stay_days >= 365 and qualifies:
        return "permit"
    if f.intended_stay_days >= 30:
        return "temporary_permit"
    if f.intended_stay_days >= 7:
        return "registration"
    return "ineligible"


def _zhengzhou(f: Facts) -> str:
    ok = f.intended_stay_days >= 30 and f.has_residence_proof and f.employment != "none"
    return "permit" if ok else "registration"


def _jiangsu(f: Facts) -> str:
    ok = f.intended_stay_days >= 180 and f.has_residence_proof
    return "permit" if ok else "registration"


ORACLES: dict[str, Callable[[Facts], str]] = {
    "national": _national,
    "shanghai": _shanghai,
    "shenzhen": _shenzhen,
    "chengdu": _chengdu,
    "zhengzhou": _zhengzhou,
    "jiangsu": _jiangsu,
}


def test_every_jurisdiction_has_an_oracle() -> None:
    assert sorted(ORACLES) == sorted(JURISDICTIONS)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
@given(facts=FACTS)
def test_decision_matches_the_oracle(jurisdiction: str, facts: Facts) -> None:
    assert decide(RULES[jurisdiction], facts).outcome == ORACLES[jurisdiction](facts)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
@given(facts=FACTS)
def test_outcome_is_consistent_with_listed_conditions(jurisdiction: str, facts: Facts) -> None:
    rules = RULES[jurisdiction]
    decision = decide(rules, facts)
    listed = {c.id: c for c in decision.conditions}
    assert len(listed) == len(decision.conditions), "a condition is listed twice"
    assert all(c.because for c in decision.conditions)

    # The outcome is the first tier whose root is met, else the default; and a tier is listed,
    # completely, exactly when every earlier tier failed.
    expected_outcome = rules.default
    expected_ids: list[str] = []
    for tier in rules.tiers:
        expected_ids += [node.id for node in iter_conditions(tier.when)]
        if listed[tier.when.id].met:
            expected_outcome = tier.outcome
            break
    assert decision.outcome == expected_outcome
    assert [c.id for c in decision.conditions] == expected_ids
    permit_root = rules.tiers[0].when.id
    assert (decision.outcome == "permit") == listed[permit_root].met
    winner = next((t for t in rules.tiers if t.outcome == decision.outcome), None)
    assert decision.decided_by == (winner.when.id if winner else None)

    # Every composite agrees with its listed children.
    for tier in rules.tiers:
        for node in iter_conditions(tier.when):
            if node.id not in listed:
                continue
            if isinstance(node, AllOf):
                assert listed[node.id].met == all(listed[c.id].met for c in node.children)
            elif isinstance(node, AnyOf):
                assert listed[node.id].met == any(listed[c.id].met for c in node.children)
            else:
                assert listed[node.id].because.startswith(f"{node.fact} = ")


@given(mapping=FACT_MAPPINGS)
def test_facts_round_trip(mapping: dict[str, Any]) -> None:
    facts = Facts.from_mapping(mapping)
    assert facts.to_dict() == mapping
    assert Facts.from_mapping(facts.to_dict()) == facts


@given(
    mapping=FACT_MAPPINGS,
    name=st.sampled_from(list(FACT_SPECS)),
    bad=st.one_of(st.none(), st.floats(allow_nan=False), st.text(max_size=5), st.just(-1)),
)
def test_a_single_bad_field_is_named(mapping: dict[str, Any], name: str, bad: object) -> None:
    spec = FACT_SPECS[name]
    assume(not (isinstance(bad, str) and bad in spec.choices))  # a valid enum value is not bad
    with pytest.raises(InvalidInput) as info:
        Facts.from_mapping({**mapping, name: bad})
    assert info.value.field == name
