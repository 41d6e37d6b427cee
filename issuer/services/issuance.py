"""What a permit credential says, and writing it down: permits, numbers, credentials (DESIGN §2).

Claims come from the application (identity, address) and the permit (number, class,
authority, dates); a change of data overrides the address on the permit. Dates are calendar
dates in China Standard Time, taken from the injected clock: ``first_issued`` is the date of
the person's first permit in this jurisdiction (today for a first permit), ``endorsed_until``
one year after issuance or after the previous endorsement, and the age predicates are computed
at issuance. Each credential copy gets its own random status index (unlinkable copies).

Everything here works on one permit or many at once with the same statements: permit numbers
are reserved as a block per prefix with one upsert, earlier permits are looked up for all
applicants with one query, status entries are allocated together, and rows are written with
prebuilt Core inserts (several rows: one multi-row statement). Single issuance and bulk
issuance (:mod:`issuer.services.bulk`) therefore share one code path and its invariants.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, Protocol, cast

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from issuer.audit import append_event
from issuer.db import TZDateTime, core_connection
from issuer.lifecycle import PERMIT_LIFECYCLE, permit_class_for_outcome
from issuer.models._base import metadata
from issuer.models.applications import ResidenceAddress
from issuer.services.status_lists import StatusRef, allocate_indices
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.credential import CHINA_TZ, end_of_day, issue_credential
from wire.errors import Conflict
from wire.jwk import thumbprint

__all__ = [
    "ApplicationData",
    "CopyRequest",
    "IssuedCopy",
    "NewPermit",
    "PermitData",
    "add_years",
    "age_on",
    "china_today",
    "create_permit",
    "create_permits",
    "first_issued_for",
    "issue_copies",
    "issue_copies_for",
    "next_permit_no",
    "next_permit_numbers",
    "permit_address",
    "permit_claims",
    "retire_superseded",
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
    """What a credential says of its permit: a table row or a :class:`NewPermit`."""

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


@dataclass(frozen=True, slots=True)
class CopyRequest:
    """One credential to sign: of ``permit``, bound to ``holder_jwk`` (None: a paper copy)."""

    permit: PermitData
    application: ApplicationData
    holder_jwk: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class IssuedCopy:
    """A stored credential row and its serialised SD-JWT (which is not stored)."""

    id: uuid.UUID
    permit_id: uuid.UUID
    status: StatusRef
    holder_jkt: str | None
    serialized: str


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


_SEQUENCES: Final = metadata.tables["permit_sequence"]
_PERMITS: Final = metadata.tables["permit"]
_APPLICATIONS: Final = metadata.tables["application"]
_CREDENTIALS: Final = metadata.tables["credential"]


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
_INSERT_CREDENTIAL: Final = insert(_CREDENTIALS)
_RETIRE: Final = (
    update(_CREDENTIALS)
    .where(_CREDENTIALS.c.permit_id == bindparam("of_permit"))
    .where(_CREDENTIALS.c.retired_at.is_(None))
    .where(_CREDENTIALS.c.id.not_in(bindparam("keep", expanding=True)))
    .values(
        retired_at=bindparam("now", type_=TZDateTime()),
        grace_until=bindparam("until", type_=TZDateTime()),
    )
)
#: The same, leaving paper copies (no ``cnf``) alone: a new phone copy does not replace them.
_RETIRE_BOUND: Final = _RETIRE.where(_CREDENTIALS.c.holder_jkt.is_not(None))


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


def issue_copies_for(
    *,
    session: Session,
    requests: Sequence[CopyRequest],
    settings: IssuerSettings,
    ring: KeyRing,
    now: datetime,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> list[IssuedCopy]:
    """Sign one credential per request, each with its own fresh random status index.

    The status entries are allocated together and the rows inserted with one statement; the
    SD-JWTs are returned, not stored (only the holder has them). Refused as a whole, before
    anything is written, when a permit's endorsement has ended.
    """
    iat = int(now.timestamp())
    today = china_today(now)
    prepared: list[tuple[CopyRequest, dict[str, Any], int]] = []
    claims_of: dict[uuid.UUID, dict[str, Any]] = {}
    for request in requests:
        exp = end_of_day(request.permit.endorsed_until)
        if exp <= iat:
            raise Conflict("the permit's endorsement has ended; renew it first")
        claims = claims_of.get(request.permit.id)
        if claims is None:
            claims = permit_claims(
                application=request.application, permit=request.permit, today=today
            )
            claims_of[request.permit.id] = claims
        prepared.append((request, claims, exp))
    refs = allocate_indices(
        session=session, settings=settings, now=now, count=len(prepared), randbelow=randbelow
    )
    issued: list[IssuedCopy] = []
    rows: list[dict[str, Any]] = []
    for (request, claims, exp), ref in zip(prepared, refs, strict=True):
        credential = issue_credential(
            claims=claims,
            issuer=settings.issuer_url,
            signing_key=ring.active_key,
            holder_jwk=request.holder_jwk,
            status_uri=ref.uri,
            status_idx=ref.idx,
            iat=iat,
            exp=exp,
        )
        jkt = thumbprint(dict(request.holder_jwk)) if request.holder_jwk is not None else None
        copy = IssuedCopy(uuid.uuid4(), request.permit.id, ref, jkt, credential.serialized)
        issued.append(copy)
        rows.append(
            {
                "id": copy.id,
                "permit_id": copy.permit_id,
                "status_list_id": ref.list_id,
                "status_idx": ref.idx,
                "holder_jkt": jkt,
                "iat": now,
                "exp": datetime.fromtimestamp(exp, CHINA_TZ),
                "created_at": now,
            }
        )
    if rows:
        core_connection(session).execute(_INSERT_CREDENTIAL, rows[0] if len(rows) == 1 else rows)
    return issued


def issue_copies(
    *,
    session: Session,
    permit: PermitData,
    application: ApplicationData,
    holder_jwks: Sequence[Mapping[str, Any] | None],
    settings: IssuerSettings,
    ring: KeyRing,
    now: datetime,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> list[IssuedCopy]:
    """Sign one credential of ``permit`` per holder key (None: a paper copy without ``cnf``),
    each with its own fresh status index; see :func:`issue_copies_for`."""
    return issue_copies_for(
        session=session,
        requests=[CopyRequest(permit, application, jwk) for jwk in holder_jwks],
        settings=settings,
        ring=ring,
        now=now,
        randbelow=randbelow,
    )


def retire_superseded(
    *,
    session: Session,
    permit_id: uuid.UUID,
    keep: Sequence[uuid.UUID],
    settings: IssuerSettings,
    actor: str,
    now: datetime,
    include_paper: bool = True,
) -> int:
    """Mark the permit's other current credentials retired, VALID until the grace ends.

    ``include_paper=False`` leaves paper copies (no ``cnf``) current: a new phone copy of
    unchanged data does not replace them, while a renewal or a change of data does. Their
    status entries stay as they are; :func:`issuer.services.endorsements.retire_due` sets them
    INVALID once ``grace_until`` has passed.
    """
    grace_until = now + timedelta(days=settings.credential_grace_days)
    statement = _RETIRE if include_paper else _RETIRE_BOUND
    params = {"of_permit": permit_id, "keep": list(keep), "now": now, "until": grace_until}
    result = core_connection(session).execute(statement, params)
    if result.rowcount:
        append_event(
            session=session,
            actor=actor,
            action="credential.supersede",
            refs={"permit": str(permit_id)},
            now=now,
        )
    return int(result.rowcount)
