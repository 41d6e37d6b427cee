"""Permit status moves: suspend, reinstate, revoke (supervisor + TOTP) and expire (system).

Each move runs the permit lifecycle, records the transition and audit event, and sets the
Token Status List entry (DESIGN §4) of every live credential of the permit in the same
transaction: ``SUSPENDED`` (2), back to ``VALID`` (0), or ``INVALID`` (1). The affected lists are
marked dirty with a new ``version``; the status publisher rebuilds and signs their tokens from
there, so the change reaches verifiers without any per-request work here.

A credential is live while it is not retired, or retired but still inside its grace period;
a credential whose grace has ended is already INVALID and is never brought back by a reinstate.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Final

from sqlalchemy import or_
from sqlmodel import Session, col, select

from issuer.authz import (
    Permission,
    Principal,
    require_jurisdiction,
    require_mfa,
    require_permission,
)
from issuer.lifecycle import PERMIT_LIFECYCLE, PERMIT_STATUS_VALUES, PermitAction
from issuer.models.permits import Credential, Permit
from issuer.services.status_lists import set_entries
from issuer.services.transitions import move
from wire.credential import CHINA_TZ
from wire.errors import Conflict, NotFound

__all__ = [
    "SYSTEM_ACTOR",
    "change_permit_status",
    "expire_permit",
    "get_permit",
    "reinstate_permit",
    "revoke_permit",
    "set_live_credential_status",
    "suspend_permit",
]

SYSTEM_ACTOR = "system"


def get_permit(
    *, session: Session, principal: Principal, permit_id: uuid.UUID, lock: bool = False
) -> Permit:
    """One permit of the officer's jurisdiction (404 unknown, 403 another jurisdiction)."""
    require_permission(principal, Permission.READ_PERMITS)
    permit = session.get(Permit, permit_id, with_for_update=lock)
    if permit is None:
        raise NotFound("permit not found")
    require_jurisdiction(principal, permit.jurisdiction)
    return permit


def set_live_credential_status(
    *, session: Session, permit_id: uuid.UUID, value: int, now: datetime
) -> int:
    """Set the status entry of every live credential of a permit; returns how many changed.

    Also the seam for issuance: renewal retires a credential by setting ``retired_at`` and
    ``grace_until``; once the grace has passed it is no longer live and keeps its entry.
    """
    live = select(col(Credential.status_list_id), col(Credential.status_idx)).where(
        Credential.permit_id == permit_id,
        or_(col(Credential.retired_at).is_(None), col(Credential.grace_until) > now),
    )
    rows = [(int(list_id), int(idx)) for list_id, idx in session.exec(live)]
    return set_entries(session=session, entries=rows, value=value, now=now)


def change_permit_status(
    *,
    session: Session,
    principal: Principal,
    permit_id: uuid.UUID,
    action: PermitAction,
    reason: str,
    now: datetime,
) -> Permit:
    """An officer's status move (``action``: suspend, reinstate or revoke): a supervisor with
    TOTP, in the permit's jurisdiction; the live credentials' status entries follow the state."""
    require_permission(principal, Permission.CHANGE_PERMIT_STATUS)
    require_mfa(principal)
    permit = get_permit(session=session, principal=principal, permit_id=permit_id, lock=True)
    _apply(
        session=session, permit=permit, action=action, actor=principal.actor, reason=reason, now=now
    )
    return permit


def _apply(
    *,
    session: Session,
    permit: Permit,
    action: PermitAction,
    actor: str,
    reason: str,
    now: datetime,
) -> None:
    move(
        session=session,
        lifecycle=PERMIT_LIFECYCLE,
        entity=permit,
        action=action,
        actor=actor,
        reason=reason,
        now=now,
    )
    value = PERMIT_STATUS_VALUES.get(permit.state)
    if value is not None:
        set_live_credential_status(session=session, permit_id=permit.id, value=value, now=now)


# :func:`change_permit_status` with its action bound, each called as
# ``suspend_permit(*, session, principal, permit_id, reason, now) -> Permit``.
#: ``active -> suspended``; live credentials become SUSPENDED.
suspend_permit: Final = partial(change_permit_status, action=PermitAction.SUSPEND)
#: ``suspended -> active``; live credentials become VALID again.
reinstate_permit: Final = partial(change_permit_status, action=PermitAction.REINSTATE)
#: ``active | suspended -> revoked`` (final); live credentials become INVALID.
revoke_permit: Final = partial(change_permit_status, action=PermitAction.REVOKE)


def expire_permit(*, session: Session, permit_id: uuid.UUID, now: datetime) -> Permit:
    """``active -> expired`` once the endorsement has lapsed; run by the system, not an officer.

    Status entries are left alone: the credentials' ``exp`` already refuses them.
    """
    permit = session.get(Permit, permit_id, with_for_update=True)
    if permit is None:
        raise NotFound("permit not found")
    if permit.endorsed_until >= now.astimezone(CHINA_TZ).date():
        raise Conflict("the permit's endorsement has not ended yet")
    _apply(
        session=session,
        permit=permit,
        action=PermitAction.EXPIRE,
        actor=SYSTEM_ACTOR,
        reason="endorsement period ended",
        now=now,
    )
    return permit
