"""Helper grants (帮办代办): a holder lets a family member or a community service worker present
their permit, revocably, and sees every use.

A grant names the helper's account, optionally one permit and a set of profiles, and an
expiry. While it is live the helper sees the permit in their list and may present it (live
QR, server QR images, a verifier's request, the paper permit) for the granted profiles; they
can never redeem offers into it, delete it, read its history or grant further. Every
presentation a helper makes is a history row carrying the grant (``wallet_disclosure``), which
the holder reads under the grant and in their history. Revoking takes effect at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from wallet_api.models import Account, DisclosureEvent, HelperGrant
from wallet_api.services.accounts import account_by_username
from wallet_api.services.permits import permit_access
from wire.errors import Conflict, InvalidInput, NotFound
from wire.profiles import Profile

__all__ = ["create_grant", "grant_uses", "grants_given", "grants_received", "revoke_grant"]


def create_grant(
    *,
    session: Session,
    holder: Account,
    helper_username: str,
    permit_id: uuid.UUID | None,
    profiles: Sequence[str],
    days: int,
    max_days: int,
    known_profiles: Mapping[str, Profile],
    now: datetime,
) -> HelperGrant:
    """Grant ``helper_username`` the right to present (one permit or all, some profiles or all)."""
    if not 1 <= days <= max_days:
        raise InvalidInput(f"days: 1 to {max_days}", field="days")
    unknown = [name for name in profiles if name not in known_profiles]
    if unknown:
        raise InvalidInput("profiles: unknown profile name", field="profiles")
    helper = account_by_username(session=session, username=helper_username)
    if helper is None:
        raise NotFound("no account with this username")
    if helper.id == holder.id:
        raise Conflict("you cannot be your own helper")
    if permit_id is not None:
        permit_access(session=session, actor=holder, permit_id=permit_id, now=now, owner_only=True)
    grant = HelperGrant(
        holder_id=holder.id,
        helper_id=helper.id,
        permit_id=permit_id,
        profiles=" ".join(sorted(set(profiles))),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(grant)
    session.flush()
    return grant


def _own_grant(session: Session, holder: Account, grant_id: uuid.UUID) -> HelperGrant:
    grant = session.get(HelperGrant, grant_id)
    if grant is None or grant.holder_id != holder.id:
        raise NotFound("no such grant")
    return grant


def revoke_grant(
    *, session: Session, holder: Account, grant_id: uuid.UUID, now: datetime
) -> HelperGrant:
    """End a grant now (idempotent: revoking twice keeps the first time)."""
    grant = _own_grant(session, holder, grant_id)
    if grant.revoked_at is None:
        grant.revoked_at = now
        session.add(grant)
        session.flush()
    return grant


def grants_given(*, session: Session, holder: Account) -> list[HelperGrant]:
    return list(
        session.exec(
            select(HelperGrant)
            .where(HelperGrant.holder_id == holder.id)
            .order_by(col(HelperGrant.created_at).desc())
        ).all()
    )


def grants_received(*, session: Session, helper: Account) -> list[HelperGrant]:
    return list(
        session.exec(
            select(HelperGrant)
            .where(HelperGrant.helper_id == helper.id)
            .order_by(col(HelperGrant.created_at).desc())
        ).all()
    )


def grant_uses(*, session: Session, holder: Account, grant_id: uuid.UUID) -> list[DisclosureEvent]:
    """Every presentation made under one of the holder's grants, newest first."""
    _own_grant(session, holder, grant_id)
    return list(
        session.exec(
            select(DisclosureEvent)
            .where(DisclosureEvent.grant_id == grant_id)
            .order_by(col(DisclosureEvent.at).desc(), col(DisclosureEvent.id).desc())
        ).all()
    )


def usernames(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Usernames by account id (for listing grants)."""
    if not ids:
        return {}
    rows = session.exec(select(Account).where(col(Account.id).in_(set(ids)))).all()
    return {row.id: row.username for row in rows}
