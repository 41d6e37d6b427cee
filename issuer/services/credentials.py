"""Credential copies: signing them, storing their rows, retiring the ones a newer copy replaces.

Each copy of a permit is its own SD-JWT VC (DESIGN §2) with its own random status index, so
copies cannot be linked. Copies for many permits are signed in one call with the same
statements as a single one (status entries allocated together, one multi-row insert), which is
what bulk issuance (:mod:`issuer.services.bulk`) relies on. A renewal, a change of data or a
replacement copy retires the permit's earlier copies: they stay VALID for
``credential_grace_days`` and are set INVALID afterwards (:mod:`issuer.services.endorsements`).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session

from issuer.audit import append_event
from issuer.db import TZDateTime, core_connection
from issuer.models._base import metadata
from issuer.services.claims import ApplicationData, PermitData, china_today, permit_claims
from issuer.services.status_lists import StatusRef, allocate_indices
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.credential import CHINA_TZ, end_of_day, issue_credential
from wire.errors import Conflict
from wire.jwk import thumbprint

__all__ = [
    "CopyRequest",
    "IssuedCopy",
    "issue_copies",
    "issue_copies_for",
    "retire_superseded",
]


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


_CREDENTIALS: Final = metadata.tables["credential"]
#: Hot-path statements are built once: constructing a SQLAlchemy statement costs more than
#: running it on SQLite.
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
