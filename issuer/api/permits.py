"""Permits: listing (``due_within``), detail, suspend / reinstate / revoke, renew and change.

Routes parse, call one keyword-only service with ``now`` and return. Status moves need a
supervisor session opened with TOTP (401 step-up otherwise); renewal and change are clerk
work. After a move that changed status entries commits, the status publisher rebuilds the
affected lists at once (a background task runs after the response is sent, and therefore after
the commit), so verifiers see the change within the second.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from issuer.api.deps import MAX_OFFSET, NowDep, PrincipalDep, SessionDep
from issuer.api.offers import OfferPublic
from issuer.api.publishing import PublisherDep
from issuer.authz import Principal
from issuer.lifecycle import PermitAction
from issuer.models.applications import Application, ResidenceAddress
from issuer.models.permits import Credential, CredentialPublic, Permit, PermitPublic
from issuer.services import endorsements, permits
from issuer.services.claims import permit_address
from issuer.services.transitions import MAX_REASON
from issuer.settings import SettingsDep

__all__ = ["ChangeRequest", "PermitChangePublic", "PermitDetail", "ReasonRequest", "router"]

router = APIRouter(prefix="/v1/permits", tags=["permits"])


class ReasonRequest(BaseModel):
    """Why the officer acts; stored in the transition row, not in the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON)


class ChangeRequest(ReasonRequest):
    """A change of data: the new residence address (DESIGN §2 ``residence_address``)."""

    residence_address: ResidenceAddress


class PermitDetail(PermitPublic):
    """A permit with its current address and every credential issued for it."""

    residence_address: ResidenceAddress
    credentials: list[CredentialPublic]


class PermitChangePublic(BaseModel):
    """A renewed or changed permit and the offer carrying its new credential."""

    permit: PermitPublic
    offer: OfferPublic


def _detail(session: Session, permit: Permit) -> PermitDetail:
    application = session.get(Application, permit.application_id)
    assert application is not None  # foreign key
    credentials = session.exec(
        select(Credential)
        .where(Credential.permit_id == permit.id)
        .order_by(col(Credential.created_at), col(Credential.id))
    )
    return PermitDetail.model_validate(
        {
            **permit.model_dump(),
            "residence_address": permit_address(permit, application),
            "credentials": [CredentialPublic.model_validate(c.model_dump()) for c in credentials],
        }
    )


@router.get("", response_model=list[PermitPublic])
def list_permits(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    due_within: Annotated[str | None, Query(pattern=r"^[0-9]{1,3}d$")] = None,
    state: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=endorsements.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[Permit]:
    """Permits of the officer's jurisdiction; ``due_within=30d``: endorsement ends within 30
    days (today included), soonest first."""
    return endorsements.list_permits(
        session=session,
        principal=principal,
        now=now,
        due_within_days=int(due_within[:-1]) if due_within is not None else None,
        state=state,
        limit=limit,
        offset=offset,
    )


@router.get("/{permit_id}", response_model=PermitDetail)
def get_permit(permit_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> PermitDetail:
    permit = permits.get_permit(session=session, principal=principal, permit_id=permit_id)
    return _detail(session, permit)


@dataclass(frozen=True, slots=True)
class _StatusMoves:
    """A supervisor's status moves in one request; the lists are republished after the commit."""

    session: Session
    principal: Principal
    now: datetime
    background: BackgroundTasks
    publish: Callable[[], None]

    def apply(self, action: PermitAction, *, permit_id: uuid.UUID, body: ReasonRequest) -> Permit:
        """Make the move; a background task runs after the response is sent, so the publisher
        sees the committed entries."""
        permit = permits.change_permit_status(
            session=self.session,
            principal=self.principal,
            permit_id=permit_id,
            action=action,
            reason=body.reason,
            now=self.now,
        )
        self.background.add_task(self.publish)
        return permit


def _status_moves(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    background: BackgroundTasks,
    publisher: PublisherDep,
) -> _StatusMoves:
    return _StatusMoves(session, principal, now, background, publisher.after_commit)


_MovesDep = Annotated[_StatusMoves, Depends(_status_moves)]


@router.post("/{permit_id}/suspend", response_model=PermitPublic)
def suspend(permit_id: uuid.UUID, body: ReasonRequest, moves: _MovesDep) -> Permit:
    """``active -> suspended`` (supervisor + TOTP): every live credential reads SUSPENDED."""
    return moves.apply(PermitAction.SUSPEND, permit_id=permit_id, body=body)


@router.post("/{permit_id}/reinstate", response_model=PermitPublic)
def reinstate(permit_id: uuid.UUID, body: ReasonRequest, moves: _MovesDep) -> Permit:
    """``suspended -> active`` (supervisor + TOTP): live credentials read VALID again."""
    return moves.apply(PermitAction.REINSTATE, permit_id=permit_id, body=body)


@router.post("/{permit_id}/revoke", response_model=PermitPublic)
def revoke(permit_id: uuid.UUID, body: ReasonRequest, moves: _MovesDep) -> Permit:
    """``active | suspended -> revoked`` (supervisor + TOTP; final): credentials read INVALID."""
    return moves.apply(PermitAction.REVOKE, permit_id=permit_id, body=body)


@router.post("/{permit_id}/renew", response_model=PermitChangePublic)
def renew(
    permit_id: uuid.UUID,
    body: ReasonRequest,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> PermitChangePublic:
    """Annual endorsement (clerk, supervisor): ``endorsed_until`` + 1 year and a new offer."""
    result = endorsements.renew_permit(
        session=session,
        principal=principal,
        settings=settings,
        permit_id=permit_id,
        reason=body.reason,
        now=now,
    )
    return PermitChangePublic(
        permit=PermitPublic.model_validate(result.permit.model_dump()),
        offer=OfferPublic.of(result.offer),
    )


@router.post("/{permit_id}/change", response_model=PermitChangePublic)
def change(
    permit_id: uuid.UUID,
    body: ChangeRequest,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> PermitChangePublic:
    """Change of data (clerk, supervisor): a new residence address and a new offer."""
    result = endorsements.change_permit(
        session=session,
        principal=principal,
        settings=settings,
        permit_id=permit_id,
        residence_address=body.residence_address,
        reason=body.reason,
        now=now,
    )
    return PermitChangePublic(
        permit=PermitPublic.model_validate(result.permit.model_dump()),
        offer=OfferPublic.of(result.offer),
    )
