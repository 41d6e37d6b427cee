"""Annual endorsement (签注), change of data, retirement of replaced credentials (issue 3 §5).

Renewal and change keep the permit ``active`` (the lifecycle records them as moves, so they
are refused in any other state with 409) and offer the holder a fresh credential: new data or
validity, new random status indices. The credentials it replaces are marked retired when the
new ones are issued and stay VALID for ``credential_grace_days`` — time for the holder to
switch — after which :func:`retire_due`, run by the background refresher, sets their status
entries INVALID. The refresher also moves permits whose endorsement lapsed to ``expired``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlmodel import Session, col, select

from issuer.audit import append_event
from issuer.authz import Permission, Principal, require_permission
from issuer.lifecycle import PERMIT_LIFECYCLE, PermitAction, PermitState
from issuer.models.applications import ResidenceAddress
from issuer.models.permits import Credential, Permit
from issuer.models.status import StatusAllocation
from issuer.services.applications import REGION_PREFIXES
from issuer.services.claims import add_years, china_today
from issuer.services.offers import OfferView, create_offer, offer_view
from issuer.services.permits import SYSTEM_ACTOR, expire_permit, get_permit
from issuer.services.status_lists import set_entries
from issuer.services.transitions import move
from issuer.settings import IssuerSettings
from wire.errors import Conflict, InvalidInput
from wire.statuslist import INVALID

__all__ = [
    "MAX_DUE_WITHIN_DAYS",
    "PermitChange",
    "change_permit",
    "expire_due",
    "list_permits",
    "renew_permit",
    "retire_due",
]

MAX_DUE_WITHIN_DAYS: Final = 366
MAX_PAGE: Final = 200


@dataclass(frozen=True, slots=True)
class PermitChange:
    """A permit after renewal or change, with the offer that carries its new credential."""

    permit: Permit
    offer: OfferView


def list_permits(
    *,
    session: Session,
    principal: Principal,
    now: datetime,
    due_within_days: int | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Permit]:
    """Permits of the officer's jurisdiction; ``due_within_days`` keeps those whose
    endorsement ends between today and that many days ahead (CST), soonest first."""
    require_permission(principal, Permission.READ_PERMITS)
    if state is not None and state not in PERMIT_LIFECYCLE.states():
        raise InvalidInput("unknown permit state", field="state")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must not be negative", field="offset")
    statement = select(Permit).where(Permit.jurisdiction == principal.jurisdiction)
    if state is not None:
        statement = statement.where(Permit.state == state)
    if due_within_days is not None:
        if not 0 <= due_within_days <= MAX_DUE_WITHIN_DAYS:
            raise InvalidInput("due_within must be 0d to 366d", field="due_within")
        today = china_today(now)
        statement = statement.where(
            col(Permit.endorsed_until) >= today,
            col(Permit.endorsed_until) <= today + timedelta(days=due_within_days),
        )
    statement = statement.order_by(col(Permit.endorsed_until), col(Permit.id))
    return list(session.exec(statement.offset(offset).limit(limit)))


def _locked_for_update(session: Session, principal: Principal, permit_id: uuid.UUID) -> Permit:
    require_permission(principal, Permission.DECIDE_APPLICATIONS)
    return get_permit(session=session, principal=principal, permit_id=permit_id, lock=True)


def _offer_new_credential(
    session: Session,
    settings: IssuerSettings,
    principal: Principal,
    permit: Permit,
    purpose: str,
    now: datetime,
) -> PermitChange:
    """Store the changed permit and offer its holder the credential that carries the change."""
    session.add(permit)
    offer = create_offer(
        session=session,
        settings=settings,
        application_id=permit.application_id,
        permit_id=permit.id,
        purpose=purpose,
        actor=principal.actor,
        now=now,
    )
    return PermitChange(permit, offer_view(settings=settings, offer=offer, include_tx_code=True))


def renew_permit(
    *,
    session: Session,
    principal: Principal,
    settings: IssuerSettings,
    permit_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> PermitChange:
    """Endorse the permit for another year (clerk or supervisor) and offer the new credential.

    Only within ``renewal_window_days`` of ``endorsed_until``: a second renewal on the same
    day would otherwise endorse the permit two years ahead.
    """
    permit = _locked_for_update(session, principal, permit_id)
    today = china_today(now)
    if permit.state == PermitState.ACTIVE and permit.endorsed_until > today + timedelta(
        days=settings.renewal_window_days
    ):
        raise Conflict("the permit is not yet due for endorsement")
    move(
        session=session,
        lifecycle=PERMIT_LIFECYCLE,
        entity=permit,
        action=PermitAction.RENEW,
        actor=principal.actor,
        reason=reason,
        now=now,
    )
    permit.endorsed_until = add_years(permit.endorsed_until, 1)
    return _offer_new_credential(session, settings, principal, permit, "renew", now)


def change_permit(
    *,
    session: Session,
    principal: Principal,
    settings: IssuerSettings,
    permit_id: uuid.UUID,
    residence_address: ResidenceAddress,
    reason: str,
    now: datetime,
) -> PermitChange:
    """Record a new residence address (clerk or supervisor) and offer the new credential."""
    permit = _locked_for_update(session, principal, permit_id)
    prefixes = REGION_PREFIXES.get(permit.jurisdiction)
    if prefixes and not residence_address.region_code.startswith(prefixes):
        raise InvalidInput(
            "region_code lies outside the jurisdiction", field="residence_address.region_code"
        )
    move(
        session=session,
        lifecycle=PERMIT_LIFECYCLE,
        entity=permit,
        action=PermitAction.CHANGE,
        actor=principal.actor,
        reason=reason,
        now=now,
    )
    permit.residence_region_code = residence_address.region_code
    permit.residence_district = residence_address.district
    permit.residence_street = residence_address.street
    return _offer_new_credential(session, settings, principal, permit, "change", now)


def retire_due(*, session: Session, now: datetime) -> int:
    """Set INVALID the status entries of retired credentials whose grace period has ended.

    Idempotent: entries already INVALID are skipped, so running it often costs one query.
    Returns how many entries changed.
    """
    statement = (
        select(col(Credential.id), col(Credential.status_list_id), col(Credential.status_idx))
        .join(
            StatusAllocation,
            (col(StatusAllocation.list_id) == col(Credential.status_list_id))
            & (col(StatusAllocation.idx) == col(Credential.status_idx)),
        )
        .where(col(Credential.retired_at).is_not(None))
        .where(col(Credential.grace_until) <= now)
        .where(col(StatusAllocation.status) != int(INVALID))
    )
    due = list(session.exec(statement))
    if not due:
        return 0
    # The audit head first, then the lists (the lock order of issuer.services.status_lists).
    for credential_id, _, _ in due:
        append_event(
            session=session,
            actor=SYSTEM_ACTOR,
            action="credential.retire",
            refs={"credential": str(credential_id)},
            now=now,
        )
    entries = [(int(list_id), int(idx)) for _, list_id, idx in due]
    return set_entries(session=session, entries=entries, value=int(INVALID), now=now)


def expire_due(*, session: Session, now: datetime, limit: int = 100) -> list[uuid.UUID]:
    """Move active permits whose endorsement has ended to ``expired`` (system actor)."""
    today: date = china_today(now)
    statement = (
        select(col(Permit.id))
        .where(Permit.state == PermitState.ACTIVE)
        .where(col(Permit.endorsed_until) < today)
        .order_by(col(Permit.endorsed_until))
        .limit(limit)
    )
    expired = []
    for permit_id in list(session.exec(statement)):
        expire_permit(session=session, permit_id=permit_id, now=now)
        expired.append(permit_id)
    return expired
