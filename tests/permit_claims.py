"""One holder's complete permit claims (DESIGN §2), for tests that sign credentials with the
:mod:`wire` functions directly instead of through an issuer (wire, conformance).

Synthetic values only: the ID number is a well-known test number, the person does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any


def permit_claims(endorsed_until: date) -> dict[str, Any]:
    """Every claim of a standard Shanghai permit endorsed until ``endorsed_until``; a new dict
    on each call, so a module may change its own."""
    return {
        "permit_no": "310115202600001",
        "name": "张三丰",
        "sex": "M",
        "birth_date": "1990-05-01",
        "id_number": "11010519491231002X",
        "hukou_address": "四川省成都市武侯区",
        "residence_address": {
            "region_code": "310115",
            "district": "浦东新区",
            "street": "世纪大道100号",
        },
        "permit_class": "standard",
        "issuing_authority": "上海市公安局浦东分局",
        "first_issued": "2024-03-01",
        "endorsed_until": endorsed_until.isoformat(),
        "age_over_18": True,
        "age_over_60": False,
    }
