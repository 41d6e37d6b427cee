"""Helper grants (帮办代办): grant, list, revoke, and every use under a grant."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlmodel import Session

from wallet_api.api.deps import AccountDep, NowDep, ProfilesDep, SessionDep
from wallet_api.api.schemas import GrantCreate, GrantOut, HistoryOut
from wallet_api.models import HelperGrant
from wallet_api.services import helpers as service
from wallet_api.settings import SettingsDep

__all__ = ["router"]

router = APIRouter(tags=["helpers"])


def _out(session: Session, grants: list[HelperGrant], now: NowDep) -> list[GrantOut]:
    names = service.usernames(
        session, [g.holder_id for g in grants] + [g.helper_id for g in grants]
    )
    return [
        GrantOut(
            id=g.id,
            holder=names.get(g.holder_id, "?"),
            helper=names.get(g.helper_id, "?"),
            permit_id=g.permit_id,
            profiles=g.profiles.split(),
            created_at=g.created_at,
            expires_at=g.expires_at,
            revoked_at=g.revoked_at,
            active=g.revoked_at is None and g.expires_at > now,
        )
        for g in grants
    ]


@router.post("/v1/grants", status_code=201, response_model=GrantOut)
def create_grant(
    body: GrantCreate,
    account: AccountDep,
    session: SessionDep,
    profiles: ProfilesDep,
    settings: SettingsDep,
    now: NowDep,
) -> GrantOut:
    """Let another account present (one permit or all; some profiles or all) until it ends."""
    grant = service.create_grant(
        session=session,
        holder=account,
        helper_username=body.helper_username,
        permit_id=body.permit_id,
        profiles=body.profiles,
        days=body.days,
        max_days=settings.helper_grant_max_days,
        known_profiles=profiles,
        now=now,
    )
    return _out(session, [grant], now)[0]


@router.get("/v1/grants", response_model=list[GrantOut])
def grants_given(account: AccountDep, session: SessionDep, now: NowDep) -> list[GrantOut]:
    """Grants this holder gave."""
    return _out(session, service.grants_given(session=session, holder=account), now)


@router.get("/v1/grants/received", response_model=list[GrantOut])
def grants_received(account: AccountDep, session: SessionDep, now: NowDep) -> list[GrantOut]:
    """Grants this account holds as a helper."""
    return _out(session, service.grants_received(session=session, helper=account), now)


@router.delete("/v1/grants/{grant_id}", status_code=204, response_class=Response)
def revoke_grant(
    grant_id: uuid.UUID, account: AccountDep, session: SessionDep, now: NowDep
) -> Response:
    """Revoke a grant at once (holder only; idempotent)."""
    service.revoke_grant(session=session, holder=account, grant_id=grant_id, now=now)
    return Response(status_code=204)


@router.get("/v1/grants/{grant_id}/uses", response_model=list[HistoryOut])
def grant_uses(grant_id: uuid.UUID, account: AccountDep, session: SessionDep) -> list[HistoryOut]:
    """Every presentation made under the grant (holder only)."""
    events = service.grant_uses(session=session, holder=account, grant_id=grant_id)
    names = service.usernames(session, [e.actor_id for e in events])
    return [
        HistoryOut(
            at=e.at,
            permit_id=e.permit_id,
            profile=e.profile,
            audience=e.audience,
            channel=e.channel,
            actor=names.get(e.actor_id, "?"),
            holder=account.username,
            via_helper=True,
        )
        for e in events
    ]
