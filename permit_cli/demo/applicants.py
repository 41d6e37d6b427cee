"""Sample applicants at the Shanghai issuer: the demo files them, tests and benchmarks too.

Two sets of eligibility facts (docs/eligibility.md, ``issuer/eligibility/rules/shanghai.json``):
one meets Shanghai's conditions for a permit, one meets none and gets residence registration
only. The people are synthetic; their ID numbers carry the GB 11643 check character the issuer
accepts, so that every caller files what a real person would.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from issuer.models.applications import id_number_checksum_ok

__all__ = ["PERMIT_FACTS", "REGISTRATION_FACTS", "application_json", "complete_id_number"]

#: Stable residence (registered rental), a labour contract and six months' social insurance.
PERMIT_FACTS: Final[dict[str, Any]] = {
    "residence_months": 12,
    "intended_stay_days": 365,
    "housing": "rented_registered",
    "has_residence_proof": True,
    "employment": "contract",
    "has_business_license": False,
    "social_insurance_months_continuous": 6,
    "social_insurance_months_last_24": 6,
    "studying": False,
    "joining_hukou_relative": False,
    "meets_settlement_conditions": False,
    "minor_child_of_holder": False,
}
#: A newcomer without housing, work or insurance yet: registration only (居住登记).
REGISTRATION_FACTS: Final[dict[str, Any]] = PERMIT_FACTS | {
    "residence_months": 0,
    "intended_stay_days": 0,
    "housing": "none",
    "has_residence_proof": False,
    "employment": "none",
    "social_insurance_months_continuous": 0,
    "social_insurance_months_last_24": 0,
}


def complete_id_number(first17: str) -> str:
    """``first17`` (region, birth date, sequence) with the one check character the issuer
    accepts: the generator is defined by the issuer's own validator, not a copy of it."""
    return next(first17 + c for c in "0123456789X" if id_number_checksum_ok(first17 + c))


def application_json(
    *, name: str, birth_date: date, id_number: str, facts: dict[str, Any] = PERMIT_FACTS
) -> dict[str, Any]:
    """The body of ``POST /v1/applications``: a woman from Hefei living in Xuhui, Shanghai."""
    return {
        "jurisdiction": "shanghai",
        "name": name,
        "sex": "F",
        "birth_date": birth_date.isoformat(),
        "id_number": id_number,
        "hukou_address": "安徽省合肥市蜀山区长江西路100号",
        "residence_address": {
            "region_code": "310104",
            "district": "徐汇区",
            "street": "漕溪北路88号",
        },
        "facts": dict(facts),
    }
