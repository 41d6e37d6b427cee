"""Bulk issuance: an officer approves an employer batch and its permits are issued together.

Issue 3 §7 lets an employer file its employees' applications as one batch; this is the
agency's side of it (单位集体办理). A clerk or supervisor of the batch's jurisdiction approves
the batch with one reason, and every application of it that is still ``submitted`` and whose
decision grants a permit is, in one transaction per chunk:

- approved (``submitted -> approved``, transition and ``application.approve`` event, the
  officer as actor) and issued (``approved -> issued``, ``application.issue``);
- given its permit (number from the per-prefix counter, class, authority, first dates;
  ``permit.create``);
- given a **paper credential** (DESIGN §3: an SD-JWT VC without ``cnf``, its own random status
  index), which the agency prints and hands out through the employer — there is no holder key
  to bind at this point;
- given a credential offer (``offer.create``) naming the permit, through which the employee's
  wallet later obtains key-bound copies; redeeming it leaves the paper credential current.

A chunk is all or nothing: permits, numbers, status entries, credentials, offers, transitions
and audit events are written together or not at all, by the same code as single issuance
(:mod:`issuer.services.permit_creation`, :mod:`issuer.services.credentials`) with statements
that take every row of the chunk at once.
Applications whose decision grants no permit (``registration``, ``ineligible``) stay
``submitted`` for an individual decision. The paper credentials are returned, never stored:
a response lost after its commit leaves permits whose paper copy must be replaced (the holder's
wallet asks for a new one, which retires the lost one).

Lock order (as everywhere): the applications (``FOR UPDATE``), then the audit head, then the
permit counters and status lists.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import bindparam, func, select
from sqlmodel import Session

from issuer.audit import NewEvent, append_events
from issuer.authz import Permission, Principal, require_jurisdiction, require_permission
from issuer.db import core_connection
from issuer.lifecycle import APPLICATION_LIFECYCLE, ApplicationAction, ApplicationState
from issuer.models._base import metadata
from issuer.services.credentials import CopyRequest, issue_copies_for
from issuer.services.offers import OfferView, new_offer, offer_view, store_offers
from issuer.services.oid4vci import APPLICATION_COLUMNS, ApplicationRow
from issuer.services.permit_creation import create_permits
from issuer.services.transitions import check_reason, record_moves
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "BULK_ISSUE_REASON",
    "MAX_CHUNK",
    "BatchApproval",
    "BulkIssued",
    "approve_batch",
    "issue_batch",
]

#: Most applications issued in one transaction (one request of ``POST …/approve``).
MAX_CHUNK: Final = 500
#: The reason recorded on the ``approved -> issued`` transitions (the officer's reason is on
#: the approvals).
BULK_ISSUE_REASON: Final = "paper permit issued with the employer batch"
#: Outcomes whose applications an approval turns into permits.
_GRANTING: Final = ("permit", "temporary_permit")

_APPLICATIONS: Final = metadata.tables["application"]
_BATCHES: Final = metadata.tables["batch"]
_BATCH: Final = select(_BATCHES.c.jurisdiction, _BATCHES.c.state).where(
    _BATCHES.c.id == bindparam("batch_id")
)
_PENDING: Final = (
    _APPLICATIONS.c.batch_id == bindparam("batch_id"),
    _APPLICATIONS.c.state == ApplicationState.SUBMITTED.value,
    _APPLICATIONS.c.outcome.in_(_GRANTING),
)
#: The next chunk of the batch, in row order, locked (the rows a concurrent approval of the
#: same batch waits for, and then no longer finds ``submitted``).
_NEXT_CHUNK: Final = (
    select(*APPLICATION_COLUMNS, _APPLICATIONS.c.batch_row)
    .where(*_PENDING)
    .order_by(_APPLICATIONS.c.batch_row)
    .limit(bindparam("limit"))
    .with_for_update()
)
_REMAINING: Final = select(func.count()).select_from(_APPLICATIONS).where(*_PENDING)


@dataclass(frozen=True, slots=True)
class BulkIssued:
    """One permit of a bulk issuance: its paper credential and the offer for the wallet."""

    application_id: uuid.UUID
    batch_row: int | None
    permit_id: uuid.UUID
    permit_no: str
    paper_credential: str
    offer: OfferView


@dataclass(frozen=True, slots=True)
class BatchApproval:
    """What one approval request did: the permits of this chunk and how many remain."""

    batch_id: uuid.UUID
    issued: list[BulkIssued]
    remaining: int


def issue_batch(
    *,
    session: Session,
    principal: Principal,
    settings: IssuerSettings,
    ring: KeyRing,
    applications: Sequence[ApplicationRow],
    reason: str,
    now: datetime,
    batch_id: uuid.UUID | None = None,
    batch_rows: Sequence[int | None] | None = None,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> list[BulkIssued]:
    """Approve and issue ``applications`` (locked by the caller) in the caller's transaction.

    Everything is checked before anything is written: the officer may decide applications of
    their jurisdiction, each application is ``submitted`` with a decision that grants a
    permit, and the reason is valid. See the module docstring for what is written.
    """
    require_permission(principal, Permission.DECIDE_APPLICATIONS)
    reason = check_reason(reason)
    if len(applications) > MAX_CHUNK:
        raise InvalidInput(f"at most {MAX_CHUNK} applications per transaction", field="limit")
    if batch_rows is not None and len(batch_rows) != len(applications):
        raise ValueError("one batch row per application")
    for application in applications:
        require_jurisdiction(principal, application.jurisdiction)
        if application.state != ApplicationState.SUBMITTED:
            raise Conflict(f"cannot approve the application: it is {application.state}")
        if application.outcome not in _GRANTING:
            raise Conflict("the eligibility outcome grants no permit")
    if not applications:
        return []
    ids = [application.id for application in applications]
    actor = principal.actor
    _, approvals = record_moves(
        session=session,
        lifecycle=APPLICATION_LIFECYCLE,
        entity_ids=ids,
        current=ApplicationState.SUBMITTED,
        action=ApplicationAction.APPROVE,
        actor=actor,
        reason=reason,
        now=now,
    )
    _, issues = record_moves(
        session=session,
        lifecycle=APPLICATION_LIFECYCLE,
        entity_ids=ids,
        current=ApplicationState.APPROVED,
        action=ApplicationAction.ISSUE,
        actor=actor,
        reason=BULK_ISSUE_REASON,
        now=now,
    )
    permit_ids = [uuid.uuid4() for _ in applications]
    offers = [
        new_offer(
            settings=settings,
            application_id=application.id,
            permit_id=permit_id,
            purpose="issue",
            now=now,
        )
        for application, permit_id in zip(applications, permit_ids, strict=True)
    ]
    events: list[NewEvent] = []
    if batch_id is not None:
        events.append(NewEvent(actor, "batch.approve", {"batch": str(batch_id)}))
    for approval, issue, permit_id, offer in zip(
        approvals, issues, permit_ids, offers, strict=True
    ):
        created = {"permit": str(permit_id), "offer": str(offer.id)}
        if batch_id is not None:
            created["batch"] = str(batch_id)
        events += [approval, issue, NewEvent(actor, "permit.create", created), offer.event(actor)]
    # The audit head before the permit counters and status lists (the module's lock order).
    append_events(session=session, events=events, now=now)
    permits = create_permits(
        session=session,
        applications=applications,
        settings=settings,
        now=now,
        permit_ids=permit_ids,
    )
    store_offers(session=session, offers=offers)
    copies = issue_copies_for(
        session=session,
        requests=[
            CopyRequest(permit, application, None)
            for permit, application in zip(permits, applications, strict=True)
        ],
        settings=settings,
        ring=ring,
        now=now,
        randbelow=randbelow,
    )
    rows = batch_rows if batch_rows is not None else [None] * len(applications)
    return [
        BulkIssued(
            application_id=application.id,
            batch_row=row,
            permit_id=permit.id,
            permit_no=permit.permit_no,
            paper_credential=copy.serialized,
            offer=offer_view(settings=settings, offer=offer, include_tx_code=True),
        )
        for application, row, permit, copy, offer in zip(
            applications, rows, permits, copies, offers, strict=True
        )
    ]


def approve_batch(
    *,
    session: Session,
    principal: Principal,
    settings: IssuerSettings,
    ring: KeyRing,
    batch_id: uuid.UUID,
    reason: str,
    limit: int,
    now: datetime,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> BatchApproval:
    """Approve and issue the next ``limit`` pending applications of a finished employer batch.

    Clerk or supervisor of the batch's jurisdiction (403 otherwise; 404 for an unknown batch);
    the batch must be ``done`` (409 while its rows are still being read). Call again while
    ``remaining`` is not zero; an approval that finds nothing left issues nothing.
    """
    require_permission(principal, Permission.DECIDE_APPLICATIONS)
    if not 1 <= limit <= MAX_CHUNK:
        raise InvalidInput(f"limit must be between 1 and {MAX_CHUNK}", field="limit")
    conn = core_connection(session)
    batch = conn.execute(_BATCH, {"batch_id": batch_id}).first()
    if batch is None:
        raise NotFound("batch not found")
    require_jurisdiction(principal, batch.jurisdiction)
    if batch.state != "done":
        raise Conflict(f"the batch is {batch.state}: approve it once all its rows are read")
    check_reason(reason)
    rows = conn.execute(_NEXT_CHUNK, {"batch_id": batch_id, "limit": limit}).all()
    issued = issue_batch(
        session=session,
        principal=principal,
        settings=settings,
        ring=ring,
        applications=[ApplicationRow.of(row) for row in rows],
        reason=reason,
        now=now,
        batch_id=batch_id,
        batch_rows=[row.batch_row for row in rows],
        randbelow=randbelow,
    )
    remaining = int(conn.execute(_REMAINING, {"batch_id": batch_id}).scalar_one())
    return BatchApproval(batch_id=batch_id, issued=issued, remaining=remaining)
