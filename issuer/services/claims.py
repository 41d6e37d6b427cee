"""What a permit credential says (DESIGN §2): its claims, and the calendar they are dated by.

Claims come from the application (identity, address) and the permit (number, class,
authority, dates); a change of data overrides the address on the permit. Dates are calendar
dates in China Standard Time, taken from the injected clock, and the age predicates are
computed on the day of issuance. Nothing here touches the database: the permit and credential
rows are written by :mod:`issuer.services.permit_creation` and :mod:`issuer.services.credentials`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Protocol

from issuer.models.applications import ResidenceAddress
from wire.credential import CHINA_TZ

__all__ = [
    "ApplicationData",
    "PermitData",
    "add_years",
    "age_on",
    "china_today",
    "permit_address",
    "permit_claims",
]


class ApplicationData(Protocol):
    """What issuance reads of an application: a table row or a lighter row object."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def jurisdiction(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def sex(self) -> str: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def id_number(self) -> str: ...
    @property
    def hukou_address(self) -> str: ...
    @property
    def residence_region_code(self) -> str: ...
    @property
    def residence_district(self) -> str: ...
    @property
    def residence_street(self) -> str: ...
    @property
    def outcome(self) -> str: ...


class PermitData(Protocol):
    """What a credential says of its permit: a table row or a
    :class:`~issuer.services.permit_creation.NewPermit`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def permit_no(self) -> str: ...
    @property
    def permit_class(self) -> str: ...
    @property
    def issuing_authority(self) -> str: ...
    @property
    def first_issued(self) -> date: ...
    @property
    def endorsed_until(self) -> date: ...
    @property
    def residence_region_code(self) -> str | None: ...
    @property
    def residence_district(self) -> str | None: ...
    @property
    def residence_street(self) -> str | None: ...


def china_today(now: datetime) -> date:
    """The calendar date in China Standard Time at ``now``."""
    return now.astimezone(CHINA_TZ).date()


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth_date: date, today: date) -> int:
    """Completed years of age on ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def permit_address(permit: PermitData, application: ApplicationData) -> ResidenceAddress:
    """The current residence address: the permit's changed one, else the application's."""
    return ResidenceAddress.model_validate(_address(permit, application))


def _address(permit: PermitData, application: ApplicationData) -> dict[str, str]:
    if permit.residence_region_code is not None:
        assert permit.residence_district is not None
        assert permit.residence_street is not None
        return {
            "region_code": permit.residence_region_code,
            "district": permit.residence_district,
            "street": permit.residence_street,
        }
    return {
        "region_code": application.residence_region_code,
        "district": application.residence_district,
        "street": application.residence_street,
    }


def permit_claims(
    *, application: ApplicationData, permit: PermitData, today: date
) -> dict[str, Any]:
    """The DESIGN §2 claim set of ``permit`` as of ``today``."""
    age = age_on(application.birth_date, today)
    return {
        "permit_no": permit.permit_no,
        "name": application.name,
        "sex": application.sex,
        "birth_date": application.birth_date.isoformat(),
        "id_number": application.id_number,
        "hukou_address": application.hukou_address,
        "residence_address": _address(permit, application),
        "permit_class": permit.permit_class,
        "issuing_authority": permit.issuing_authority,
        "first_issued": permit.first_issued.isoformat(),
        "endorsed_until": permit.endorsed_until.isoformat(),
        "age_over_18": age >= 18,
        "age_over_60": age >= 60,
    }
