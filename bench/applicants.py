"""Applicants for the benchmarks: valid Shanghai applications the rules answer with ``permit``.

Each ``serial`` gives a different, checksum-correct GB 11643 ID number (they repeat after 7,000
serials, which no benchmark reaches in one database), so rows do not all look alike to the
database and a load test submits what a person would.
"""

from __future__ import annotations

from typing import Any

from issuer.models import ApplicationCreate

__all__ = ["FACTS", "application", "application_json", "id_number"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Stable residence, a labour contract and six months' social insurance: a Shanghai permit.
FACTS: dict[str, Any] = {
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


def id_number(serial: int) -> str:
    first17 = f"310104199003{1 + serial % 28:02d}{serial % 1000:03d}"
    first17 = first17[:16] + ("2" if int(first17[16]) % 2 else first17[16])  # even: female
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def application_json(serial: int) -> dict[str, Any]:
    """The body of ``POST /v1/applications`` for applicant ``serial``."""
    number = id_number(serial)
    return {
        "jurisdiction": "shanghai",
        "name": "李梅",
        "sex": "F",
        "birth_date": f"1990-03-{number[12:14]}",
        "id_number": number,
        "hukou_address": "安徽省合肥市蜀山区长江西路100号",
        "residence_address": {
            "region_code": "310104",
            "district": "徐汇区",
            "street": "漕溪北路88号",
        },
        "facts": FACTS,
    }


def application(serial: int) -> ApplicationCreate:
    """The same application, validated, for benchmarks that call the services in-process."""
    return ApplicationCreate.model_validate(application_json(serial))
