"""Creating permits (DESIGN §2): numbers, class, issuing authority and first dates, stored.

``first_issued`` is the date of the person's first permit in this jurisdiction (today for a
first permit) and ``endorsed_until`` one year after issuance. Everything here works on one
permit or many at once with the same statements: permit numbers are reserved as a block per
prefix with one upsert, earlier permits are looked up for all applicants with one query, and
the rows are written with one prebuilt Core insert (several rows: one multi-row statement).
Single issuance (:mod:`issuer.services.oid4vci`) and bulk issuance
(:mod:`issuer.services.bulk`) therefore share one code path and its invariants.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, cast

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from issuer.db import core_connection
from issuer.lifecycle import PERMIT_LIFECYCLE, permit_class_for_outcome
from issuer.models._base import metadata
from issuer.services.claims import ApplicationData, add_years, china_today
from issuer.settings import IssuerSettings
from wire.errors import Conflict

__all__ = [
    "NewPermit",
    "create_permit",
    "create_permits",
    "first_issued_for",
    "next_permit_no",
    "next_permit_numbers",
]


@dataclass(frozen=True, slots=True)
class NewPermit:
    """A permit as :func:`create_permits` stored it (the row, without a second read)."""

    id: uuid.UUID
    application_id: uuid.UUID
    jurisdiction: str
    permit_no: str
    permit_class: str
    issuing_authority: str
    first_issued: date
    endorsed_until: date
    state: str
    residence_region_code: str | None = None
    residence_district: str | None = None
    residence_street: str | None = None


_SEQUENCES: Final = metadata.tables["permit_sequence"]
_PERMITS: Final = metadata.tables["permit"]
_APPLICATIONS: Final = metadata.tables["application"]


def _next_numbers_statement(insert_for: Any) -> Any:
    """``last += n`` for a prefix (created at ``n``), returning the new ``last``: the block
    ``last - n + 1 .. last`` is this transaction's, atomically on SQLite and PostgreSQL."""
    statement = insert_for(_SEQUENCES).values(
        prefix=bindparam("prefix"), last=bindparam("count", type_=_SEQUENCES.c.last.type)
    )
    return statement.on_conflict_do_update(
        index_elements=["prefix"], set_={"last": _SEQUENCES.c.last + statement.excluded.last}
    ).returning(_SEQUENCES.c.last)


#: Hot-path statements are built once: constructing a SQLAlchemy statement costs more than
#: running it on SQLite.
_NEXT_NUMBERS: Final = {
    "postgresql": _next_numbers_statement(pg_insert),
    "sqlite": _next_numbers_statement(sqlite_insert),
}
_FIRST_ISSUED: Final = (
    select(_APPLICATIONS.c.id_number, func.min(_PERMITS.c.first_issued))
    .select_from(_PERMITS.join(_APPLICATIONS, _APPLICATIONS.c.id == _PERMITS.c.application_id))
    .where(_APPLICATIONS.c.id_number.in_(bindparam("id_numbers", expanding=True)))
    .where(_APPLICATIONS.c.jurisdiction == bindparam("jurisdiction"))
    .group_by(_APPLICATIONS.c.id_number)
)
_INSERT_PERMIT: Final = insert(_PERMITS)


def next_permit_numbers(*, session: Session, region_code: str, year: int, count: int) -> list[str]:
    """``count`` numbers ``<region code><year><6-digit sequence>``, unique: one atomic upsert
    of the counter reserves the block (its row lock is held to the end of the transaction)."""
    if count < 1:
        raise ValueError("count must be positive")
    prefix = f"{region_code}{year:04d}"
    conn = core_connection(session)
    statement = _NEXT_NUMBERS[conn.dialect.name]
    last = int(conn.execute(statement, {"prefix": prefix, "count": count}).scalar_one())
    return [f"{prefix}{number:06d}" for number in range(last - count + 1, last + 1)]


def next_permit_no(*, session: Session, region_code: str, year: int) -> str:
    """``<region code><year><6-digit sequence>``, unique: one atomic upsert of the counter."""
    [number] = next_permit_numbers(session=session, region_code=region_code, year=year, count=1)
    return number


def _first_issued_dates(
    session: Session, applications: Iterable[ApplicationData]
) -> dict[tuple[str, str], date]:
    """``(jurisdiction, id_number) -> date`` of each applicant's earliest permit (one query per
    jurisdiction); applicants without an earlier permit are absent."""
    by_jurisdiction: dict[str, set[str]] = {}
    for application in applications:
        by_jurisdiction.setdefault(application.jurisdiction, set()).add(application.id_number)
    found: dict[tuple[str, str], date] = {}
    conn = core_connection(session)
    for jurisdiction, id_numbers in by_jurisdiction.items():
        params = {"jurisdiction": jurisdiction, "id_numbers": sorted(id_numbers)}
        for id_number, earliest in conn.execute(_FIRST_ISSUED, params):
            if earliest is not None:
                found[(jurisdiction, str(id_number))] = earliest
    return found


def first_issued_for(*, session: Session, application: ApplicationData, today: date) -> date:
    """The date of this person's first permit in this jurisdiction, or ``today``."""
    earlier = _first_issued_dates(session, [application]).get(
        (application.jurisdiction, application.id_number)
    )
    return min(earlier, today) if earlier is not None else today


def create_permits(
    *,
    session: Session,
    applications: Sequence[ApplicationData],
    settings: IssuerSettings,
    now: datetime,
    permit_ids: Sequence[uuid.UUID] | None = None,
) -> list[NewPermit]:
    """The permits of approved applications: number, class, authority and first dates.

    One counter upsert per number prefix, one query for earlier permits, one insert, however
    many applications. ``permit_ids`` lets the caller name the rows first (e.g. to audit
    their creation before the numbers are taken: the lock order of :mod:`issuer.audit`).
    """
    if permit_ids is not None and len(permit_ids) != len(applications):
        raise ValueError("one permit id per application")
    classes = [permit_class_for_outcome(application.outcome) for application in applications]
    if any(permit_class is None for permit_class in classes):
        raise Conflict("the eligibility outcome grants no permit")
    today = china_today(now)
    by_prefix: dict[str, list[int]] = {}
    for position, application in enumerate(applications):
        by_prefix.setdefault(application.residence_region_code, []).append(position)
    numbers: list[str] = [""] * len(applications)
    for region_code, positions in sorted(by_prefix.items()):  # one lock order for all writers
        block = next_permit_numbers(
            session=session, region_code=region_code, year=today.year, count=len(positions)
        )
        for position, number in zip(positions, block, strict=True):
            numbers[position] = number
    earlier = _first_issued_dates(session, applications)
    permits: list[NewPermit] = []
    for position, application in enumerate(applications):
        previous = earlier.get((application.jurisdiction, application.id_number))
        permits.append(
            NewPermit(
                id=permit_ids[position] if permit_ids is not None else uuid.uuid4(),
                application_id=application.id,
                jurisdiction=application.jurisdiction,
                permit_no=numbers[position],
                permit_class=cast("str", classes[position]),
                issuing_authority=settings.authorities[application.jurisdiction],
                first_issued=min(previous, today) if previous is not None else today,
                endorsed_until=add_years(today, 1),
                state=PERMIT_LIFECYCLE.initial,
            )
        )
    rows = [
        {
            "id": permit.id,
            "application_id": permit.application_id,
            "jurisdiction": permit.jurisdiction,
            "permit_no": permit.permit_no,
            "permit_class": permit.permit_class,
            "issuing_authority": permit.issuing_authority,
            "first_issued": permit.first_issued,
            "endorsed_until": permit.endorsed_until,
            "state": permit.state,
            "created_at": now,
            "updated_at": now,
        }
        for permit in permits
    ]
    if rows:
        core_connection(session).execute(_INSERT_PERMIT, rows[0] if len(rows) == 1 else rows)
    return permits


def create_permit(
    *,
    session: Session,
    application: ApplicationData,
    settings: IssuerSettings,
    now: datetime,
    permit_id: uuid.UUID | None = None,
) -> NewPermit:
    """The permit of an approved application: number, class, authority and first dates."""
    [permit] = create_permits(
        session=session,
        applications=[application],
        settings=settings,
        now=now,
        permit_ids=None if permit_id is None else [permit_id],
    )
    return permit
