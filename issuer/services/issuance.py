"""What a permit credential says, and writing it down: permits, numbers, credentials (DESIGN §2).

Claims come from the application (identity, address) and the permit (number, class,
authority, dates); a change of data overrides the address on the permit. Dates are calendar
dates in China Standard Time, taken from the injected clock: ``first_issued`` is the date of
the person's first permit in this jurisdiction (today for a first permit), ``endorsed_until``
one year after issuance or after the previous endorsement, and the age predicates are computed
at issuance. Each credential copy gets its own random status index (unlinkable copies).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import CursorResult, bindparam, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from issuer.audit import append_event
from issuer.lifecycle import PERMIT_LIFECYCLE, permit_class_for_outcome
from issuer.models._base import metadata
from issuer.models.applications import Application, ResidenceAddress
from issuer.models.permits import Credential, Permit
from issuer.services.status_lists import allocate_index
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.credential import CHINA_TZ, end_of_day, issue_credential
from wire.errors import Conflict
from wire.jwk import thumbprint

__all__ = [
    "add_years",
    "age_on",
    "china_today",
    "create_permit",
    "first_issued_for",
    "issue_copies",
    "next_permit_no",
    "permit_address",
    "permit_claims",
    "retire_superseded",
]


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


def permit_address(permit: Permit, application: Application) -> ResidenceAddress:
    """The current residence address: the permit's changed one, else the application's."""
    if permit.residence_region_code is not None:
        assert permit.residence_district is not None
        assert permit.residence_street is not None
        return ResidenceAddress(
            region_code=permit.residence_region_code,
            district=permit.residence_district,
            street=permit.residence_street,
        )
    return application.residence_address()


def permit_claims(*, application: Application, permit: Permit, today: date) -> dict[str, Any]:
    """The DESIGN §2 claim set of ``permit`` as of ``today``."""
    age = age_on(application.birth_date, today)
    return {
        "permit_no": permit.permit_no,
        "name": application.name,
        "sex": application.sex,
        "birth_date": application.birth_date.isoformat(),
        "id_number": application.id_number,
        "hukou_address": application.hukou_address,
        "residence_address": permit_address(permit, application).model_dump(),
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
#: Hot-path statements are built once: constructing a SQLAlchemy statement costs more than
#: running it on SQLite.
_NEXT_NUMBER: Final = {
    dialect: insert(_SEQUENCES)
    .values(prefix=bindparam("prefix"), last=1)
    .on_conflict_do_update(index_elements=["prefix"], set_={"last": _SEQUENCES.c.last + 1})
    .returning(_SEQUENCES.c.last)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_FIRST_ISSUED: Final = (
    select(func.min(_PERMITS.c.first_issued))
    .select_from(_PERMITS.join(_APPLICATIONS, _APPLICATIONS.c.id == _PERMITS.c.application_id))
    .where(_APPLICATIONS.c.id_number == bindparam("id_number"))
    .where(_APPLICATIONS.c.jurisdiction == bindparam("jurisdiction"))
)


def next_permit_no(*, session: Session, region_code: str, year: int) -> str:
    """``<region code><year><6-digit sequence>``, unique: one atomic upsert of the counter."""
    prefix = f"{region_code}{year:04d}"
    statement = _NEXT_NUMBER[session.get_bind().dialect.name]
    number = int(session.execute(statement, {"prefix": prefix}).scalar_one())
    return f"{prefix}{number:06d}"


def first_issued_for(*, session: Session, application: Application, today: date) -> date:
    """The date of this person's first permit in this jurisdiction, or ``today``."""
    params = {"id_number": application.id_number, "jurisdiction": application.jurisdiction}
    earlier: date | None = session.execute(_FIRST_ISSUED, params).scalar_one()
    return min(earlier, today) if earlier is not None else today


def create_permit(
    *, session: Session, application: Application, settings: IssuerSettings, now: datetime
) -> Permit:
    """The permit of an approved application: number, class, authority and first dates."""
    permit_class = permit_class_for_outcome(application.outcome)
    if permit_class is None:
        raise Conflict("the eligibility outcome grants no permit")
    today = china_today(now)
    permit = Permit(
        application_id=application.id,
        jurisdiction=application.jurisdiction,
        permit_no=next_permit_no(
            session=session, region_code=application.residence_region_code, year=today.year
        ),
        permit_class=permit_class,
        issuing_authority=settings.authorities[application.jurisdiction],
        first_issued=first_issued_for(session=session, application=application, today=today),
        endorsed_until=add_years(today, 1),
        state=PERMIT_LIFECYCLE.initial,
        created_at=now,
        updated_at=now,
    )
    session.add(permit)  # flushed with what follows: its id is already assigned
    return permit


def issue_copies(
    *,
    session: Session,
    permit: Permit,
    application: Application,
    holder_jwks: Sequence[Mapping[str, Any]],
    settings: IssuerSettings,
    ring: KeyRing,
    now: datetime,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> list[tuple[Credential, str]]:
    """Sign one credential per holder key, each with its own fresh status index.

    Returns the stored rows with their serialised SD-JWTs (the SD-JWTs themselves are not
    stored: only the holder has them).
    """
    today = china_today(now)
    claims = permit_claims(application=application, permit=permit, today=today)
    iat = int(now.timestamp())
    exp = end_of_day(permit.endorsed_until)
    if exp <= iat:
        raise Conflict("the permit's endorsement has ended; renew it first")
    issued: list[tuple[Credential, str]] = []
    for jwk in holder_jwks:
        ref = allocate_index(session=session, settings=settings, now=now, randbelow=randbelow)
        credential = issue_credential(
            claims=claims,
            issuer=settings.issuer_url,
            signing_key=ring.active_key,
            holder_jwk=jwk,
            status_uri=ref.uri,
            status_idx=ref.idx,
            iat=iat,
            exp=exp,
        )
        row = Credential(
            permit_id=permit.id,
            status_list_id=ref.list_id,
            status_idx=ref.idx,
            holder_jkt=thumbprint(dict(jwk)),
            iat=now,
            exp=datetime.fromtimestamp(exp, CHINA_TZ),
            created_at=now,
        )
        session.add(row)
        issued.append((row, credential.serialized))
    return issued


def retire_superseded(
    *,
    session: Session,
    permit_id: uuid.UUID,
    keep: Sequence[uuid.UUID],
    settings: IssuerSettings,
    actor: str,
    now: datetime,
) -> int:
    """Mark the permit's other current credentials retired, VALID until the grace ends.

    Their status entries stay as they are; :func:`issuer.services.endorsements.retire_due`
    sets them INVALID once ``grace_until`` has passed.
    """
    grace_until = now + timedelta(days=settings.credential_grace_days)
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(Credential)
            .where(col(Credential.permit_id) == permit_id)
            .where(col(Credential.retired_at).is_(None))
            .where(col(Credential.id).not_in(list(keep)))
            .values(retired_at=now, grace_until=grace_until)
        ),
    )
    if result.rowcount:
        append_event(
            session=session,
            actor=actor,
            action="credential.supersede",
            refs={"permit": str(permit_id)},
            now=now,
        )
    return int(result.rowcount)
