"""Each jurisdiction's rules at their exact boundaries and through every alternative branch.

Thresholds come from the brief and seeds/003 表1 (居住证暂行条例 第二条 for national); each test
moves one fact across one boundary from an applicant who otherwise qualifies, so a wrong
threshold or a wrong operator in a rule file fails exactly one obvious test.
"""

from __future__ import annotations

from typing import Any

import pytest

from .test_eligibility import condition, decision_for

# --- national: 居住证暂行条例 (2016) 第二条 -------------------------------------------------------

NATIONAL_OK: dict[str, Any] = {"residence_months": 6, "employment": "contract"}


def test_national_residence_boundary() -> None:
    assert decision_for("national", **NATIONAL_OK).outcome == "permit"
    decision = decision_for("national", **{**NATIONAL_OK, "residence_months": 5})
    assert decision.outcome == "registration"
    resided = condition(decision, "resided_6_months")
    assert resided.met is False
    assert resided.because == "residence_months = 5, needs ≥ 6"
    assert condition(decision, "one_of_three").met is True


@pytest.mark.parametrize("employment", ["contract", "self_employed", "flexible"])
def test_national_stable_employment_branch(employment: str) -> None:
    decision = decision_for("national", residence_months=6, employment=employment)
    assert decision.outcome == "permit"
    assert condition(decision, "stable_employment").met is True
    assert condition(decision, "stable_residence").met is False
    assert condition(decision, "continuous_study").met is False


@pytest.mark.parametrize("housing", ["owned", "rented_registered", "relative"])
def test_national_stable_residence_branch(housing: str) -> None:
    decision = decision_for(
        "national", residence_months=6, housing=housing, has_residence_proof=True
    )
    assert decision.outcome == "permit"
    assert condition(decision, "stable_residence").met is True
    assert condition(decision, "stable_employment").met is False


@pytest.mark.parametrize(
    ("housing", "proof"), [("dormitory", True), ("none", True), ("owned", False)]
)
def test_national_stable_residence_needs_qualifying_housing_and_proof(
    housing: str, proof: bool
) -> None:
    decision = decision_for(
        "national", residence_months=6, housing=housing, has_residence_proof=proof
    )
    assert decision.outcome == "registration"
    assert condition(decision, "stable_residence").met is False


def test_national_continuous_study_branch() -> None:
    decision = decision_for("national", residence_months=6, studying=True)
    assert decision.outcome == "permit"
    assert condition(decision, "continuous_study").met is True


def test_national_six_months_without_a_basis_is_registration() -> None:
    decision = decision_for("national", residence_months=120)
    assert decision.outcome == "registration"
    assert condition(decision, "one_of_three").because == (
        "0 of 3 sub-conditions met, needs at least 1"
    )


# --- shanghai: 上海市居住证管理办法 ---------------------------------------------------------------

SHANGHAI_HOME: dict[str, Any] = {"has_residence_proof": True, "housing": "rented_registered"}
SHANGHAI_WORK: dict[str, Any] = {
    **SHANGHAI_HOME,
    "employment": "contract",
    "social_insurance_months_continuous": 6,
}


def test_shanghai_insurance_boundary() -> None:
    assert decision_for("shanghai", **SHANGHAI_WORK).outcome == "permit"
    decision = decision_for(
        "shanghai", **{**SHANGHAI_WORK, "social_insurance_months_continuous": 5}
    )
    assert decision.outcome == "registration"
    insurance = condition(decision, "employment_route.insurance_6_months")
    assert insurance.met is False
    assert insurance.because == "social_insurance_months_continuous = 5, needs ≥ 6"


@pytest.mark.parametrize("reason", ["joining_hukou_relative", "studying"])
def test_shanghai_stay_boundary_for_each_family_or_study_reason(reason: str) -> None:
    ok = {**SHANGHAI_HOME, reason: True, "intended_stay_days": 180}
    decision = decision_for("shanghai", **ok)
    assert decision.outcome == "permit"
    assert condition(decision, "family_or_study_route").met is True
    assert condition(decision, "employment_route").met is False
    short = decision_for("shanghai", **{**ok, "intended_stay_days": 179})
    assert short.outcome == "registration"
    stay = condition(short, "family_or_study_route.stay_180_days")
    assert stay.because == "intended_stay_days = 179, needs ≥ 180"


def test_shanghai_long_stay_without_a_reason_is_registration() -> None:
    decision = decision_for("shanghai", **SHANGHAI_HOME, intended_stay_days=3650)
    assert decision.outcome == "registration"
    assert condition(decision, "family_or_study_route.reason").met is False


def test_shanghai_insurance_without_employment_is_registration() -> None:
    decision = decision_for("shanghai", **{**SHANGHAI_WORK, "employment": "none"})
    assert decision.outcome == "registration"
    assert condition(decision, "employment_route.employed").met is False


@pytest.mark.parametrize("employment", ["self_employed", "flexible"])
def test_shanghai_any_employment_counts(employment: str) -> None:
    assert decision_for("shanghai", **{**SHANGHAI_WORK, "employment": employment}).outcome == (
        "permit"
    )


@pytest.mark.parametrize("override", [{"has_residence_proof": False}, {"housing": "none"}])
def test_shanghai_needs_stable_residence(override: dict[str, Any]) -> None:
    decision = decision_for("shanghai", **{**SHANGHAI_WORK, **override})
    assert decision.outcome == "registration"
    assert condition(decision, "stable_residence").met is False
    assert condition(decision, "purpose").met is True


@pytest.mark.parametrize("housing", ["owned", "rented_registered", "relative", "dormitory"])
def test_shanghai_any_housing_with_proof_is_stable_residence(housing: str) -> None:
    decision = decision_for("shanghai", **{**SHANGHAI_WORK, "housing": housing})
    assert decision.outcome == "permit"


# --- shenzhen: 深圳经济特区居住证条例 -------------------------------------------------------------

SHENZHEN_OK: dict[str, Any] = {
    "residence_months": 12,
    "has_residence_proof": True,
    "housing": "rented_registered",
    "employment": "contract",
    "social_insurance_months_continuous": 12,
}


def test_shenzhen_qualifies() -> None:
    decision = decision_for("shenzhen", **SHENZHEN_OK)
    assert decision.outcome == "permit"
    assert all(c.met for c in decision.conditions if c.id != "social_insurance.last_24_months_18")


def test_shenzhen_residence_boundary() -> None:
    decision = decision_for("shenzhen", **{**SHENZHEN_OK, "residence_months": 11})
    assert decision.outcome == "registration"
    assert condition(decision, "resided_12_months").because == ("residence_months = 11, needs ≥ 12")


def test_shenzhen_continuous_insurance_boundary() -> None:
    decision = decision_for("shenzhen", **{**SHENZHEN_OK, "social_insurance_months_continuous": 11})
    assert decision.outcome == "registration"
    assert condition(decision, "social_insurance").met is False


def test_shenzhen_last_24_boundary() -> None:
    base = {**SHENZHEN_OK, "social_insurance_months_continuous": 0}
    decision = decision_for("shenzhen", **base, social_insurance_months_last_24=18)
    assert decision.outcome == "permit"
    assert condition(decision, "social_insurance.last_24_months_18").met is True
    assert condition(decision, "social_insurance.continuous_12_months").met is False
    short = decision_for("shenzhen", **base, social_insurance_months_last_24=17)
    assert short.outcome == "registration"
    assert condition(short, "social_insurance.last_24_months_18").because == (
        "social_insurance_months_last_24 = 17, needs ≥ 18"
    )


@pytest.mark.parametrize(
    ("override", "failing"),
    [
        ({"has_residence_proof": False}, "stable_residence.proof"),
        ({"housing": "none"}, "stable_residence.housing"),
        ({"employment": "none"}, "stable_employment"),
    ],
)
def test_shenzhen_every_requirement_is_needed(override: dict[str, Any], failing: str) -> None:
    decision = decision_for("shenzhen", **{**SHENZHEN_OK, **override})
    assert decision.outcome == "registration"
    assert condition(decision, failing).met is False


# --- chengdu: 成都市居住证管理规定 ---------------------------------------------------------------


def test_chengdu_permit_stay_boundary() -> None:
    decision = decision_for("chengdu", intended_stay_days=365, has_business_license=True)
    assert decision.outcome == "permit"
    short = decision_for("chengdu", intended_stay_days=364, has_business_license=True)
    assert short.outcome == "temporary_permit"
    assert condition(short, "stay_365_days").because == "intended_stay_days = 364, needs ≥ 365"
    assert condition(short, "business_license").met is True
    assert condition(short, "permit").met is False


def test_chengdu_temporary_permit_boundary() -> None:
    assert decision_for("chengdu", intended_stay_days=30).outcome == "temporary_permit"
    decision = decision_for("chengdu", intended_stay_days=29)
    assert decision.outcome == "registration"
    assert condition(decision, "temporary_permit").because == (
        "intended_stay_days = 29, needs ≥ 30"
    )


def test_chengdu_registration_boundary() -> None:
    assert decision_for("chengdu", intended_stay_days=7).outcome == "registration"
    decision = decision_for("chengdu", intended_stay_days=6)
    assert decision.outcome == "ineligible"
    assert decision.decided_by is None
    assert condition(decision, "registration").because == "intended_stay_days = 6, needs ≥ 7"
    # ineligible is still explained: all three tiers are listed with their reasons.
    assert {c.tier for c in decision.conditions} == {"permit", "temporary_permit", "registration"}


def test_chengdu_a_year_without_a_qualifying_condition_is_a_temporary_permit() -> None:
    decision = decision_for("chengdu", intended_stay_days=3650)
    assert decision.outcome == "temporary_permit"
    assert condition(decision, "qualifying_condition").met is False


@pytest.mark.parametrize(
    ("overrides", "branch"),
    [
        ({"housing": "owned", "social_insurance_months_continuous": 6}, "housing_route"),
        (
            {"housing": "rented_registered", "social_insurance_months_continuous": 6},
            "housing_route",
        ),
        ({"employment": "contract", "social_insurance_months_continuous": 6}, "contract_route"),
        ({"has_business_license": True}, "business_license"),
        ({"meets_settlement_conditions": True}, "settlement_conditions"),
        ({"minor_child_of_holder": True}, "minor_child_of_holder"),
    ],
)
def test_chengdu_each_qualifying_branch(overrides: dict[str, Any], branch: str) -> None:
    decision = decision_for("chengdu", intended_stay_days=365, **overrides)
    assert decision.outcome == "permit"
    assert condition(decision, branch).met is True
    others = {
        "housing_route",
        "contract_route",
        "business_license",
        "settlement_conditions",
        "minor_child_of_holder",
    } - {branch}
    assert all(not condition(decision, other).met for other in others)


@pytest.mark.parametrize(
    "overrides",
    [
        {"housing": "owned", "social_insurance_months_continuous": 5},
        {"housing": "relative", "social_insurance_months_continuous": 6},
        {"housing": "dormitory", "social_insurance_months_continuous": 6},
        {"employment": "contract", "social_insurance_months_continuous": 5},
        {"employment": "self_employed", "social_insurance_months_continuous": 6},
        {"employment": "flexible", "social_insurance_months_continuous": 6},
    ],
)
def test_chengdu_near_misses_are_temporary_permits(overrides: dict[str, Any]) -> None:
    decision = decision_for("chengdu", intended_stay_days=365, **overrides)
    assert decision.outcome == "temporary_permit"
    assert condition(decision, "qualifying_condition").met is False


# --- zhengzhou: 郑州市居住证管理暂行办法 ----------------------------------------------------------

ZHENGZHOU_OK: dict[str, Any] = {
    "intended_stay_days": 30,
    "has_residence_proof": True,
    "employment": "flexible",
}


def test_zhengzhou_stay_boundary() -> None:
    assert decision_for("zhengzhou", **ZHENGZHOU_OK).outcome == "permit"
    decision = decision_for("zhengzhou", **{**ZHENGZHOU_OK, "intended_stay_days": 29})
    assert decision.outcome == "registration"
    assert condition(decision, "stay_30_days").because == "intended_stay_days = 29, needs ≥ 30"


@pytest.mark.parametrize(
    ("override", "failing"),
    [
        ({"has_residence_proof": False}, "residence_proof"),
        ({"employment": "none"}, "employment_proof"),
    ],
)
def test_zhengzhou_needs_both_proofs(override: dict[str, Any], failing: str) -> None:
    decision = decision_for("zhengzhou", **{**ZHENGZHOU_OK, **override})
    assert decision.outcome == "registration"
    assert condition(decision, failing).met is False


# --- jiangsu: 苏政发〔2014〕138号 ---------------------------------------------------------------


def test_jiangsu_stay_boundary() -> None:
    assert (
        decision_for("jiangsu", intended_stay_days=180, has_residence_proof=True).outcome
        == "permit"
    )
    decision = decision_for("jiangsu", intended_stay_days=179, has_residence_proof=True)
    assert decision.outcome == "registration"
    assert condition(decision, "stay_180_days").because == ("intended_stay_days = 179, needs ≥ 180")


def test_jiangsu_needs_residence_proof() -> None:
    decision = decision_for("jiangsu", intended_stay_days=3650, has_residence_proof=False)
    assert decision.outcome == "registration"
    assert condition(decision, "residence_proof").because == (
        "has_residence_proof = false, needs true"
    )


def test_jiangsu_needs_no_employment() -> None:
    decision = decision_for("jiangsu", intended_stay_days=180, has_residence_proof=True)
    assert decision.outcome == "permit"
    assert all(c.met for c in decision.conditions)
