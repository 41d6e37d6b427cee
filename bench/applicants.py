"""Applicants for the benchmarks: valid Shanghai applications the rules answer with ``permit``.

The body and facts are the demo's sample applicant (:mod:`permit_cli.demo.applicants`); each
``serial`` gives a different, checksum-correct GB 11643 ID number (they repeat after 7,000
serials, which no benchmark reaches in one database), so rows do not all look alike to the
database and a load test submits what a person would.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from issuer.models import ApplicationCreate
from permit_cli.demo.applicants import application_json as sample_application
from permit_cli.demo.applicants import complete_id_number

__all__ = ["application", "application_json", "id_number"]


def id_number(serial: int) -> str:
    first17 = f"310104199003{1 + serial % 28:02d}{serial % 1000:03d}"
    first17 = first17[:16] + ("2" if int(first17[16]) % 2 else first17[16])  # even: female
    return complete_id_number(first17)


def application_json(serial: int) -> dict[str, Any]:
    """The body of ``POST /v1/applications`` for applicant ``serial``."""
    number = id_number(serial)
    birth = date(1990, 3, int(number[12:14]))
    return sample_application(name="李梅", birth_date=birth, id_number=number)


def application(serial: int) -> ApplicationCreate:
    """The same application, validated, for benchmarks that call the services in-process."""
    return ApplicationCreate.model_validate(application_json(serial))
