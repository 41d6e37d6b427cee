"""One permit's claims (DESIGN §2) for the benchmarks that issue credentials without a database.

Realistic sizes matter here: presentation bytes, QR versions and parse times all depend on the
Chinese text of names and addresses, so every benchmark issues this same claim set.
"""

from __future__ import annotations

from datetime import date
from typing import Any

__all__ = ["permit_claims"]


def permit_claims(endorsed_until: date) -> dict[str, Any]:
    """A Shanghai standard-class permit endorsed until ``endorsed_until``."""
    return {
        "permit_no": "3101152026000123",
        "name": "李小梅",
        "sex": "F",
        "birth_date": "1994-08-16",
        "id_number": "510104199408161228",
        "hukou_address": "四川省成都市锦江区",
        "residence_address": {
            "region_code": "310115",
            "district": "浦东新区",
            "street": "张杨路500号",
        },
        "permit_class": "standard",
        "issuing_authority": "上海市公安局浦东分局",
        "first_issued": "2024-03-01",
        "endorsed_until": endorsed_until.isoformat(),
        "age_over_18": True,
        "age_over_60": False,
    }
