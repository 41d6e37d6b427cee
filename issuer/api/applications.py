"""Applications: public submission and status check, officer listing and decisions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from issuer.api.deps import MAX_OFFSET, NowDep, PrincipalDep, SessionDep
from issuer.api.offers import OfferPublic
from issuer.models.applications import (
    ApplicationCreate,
    ApplicationPublic,
    ApplicationReceipt,
    ApplicationStatusPublic,
)
from issuer.services import applications as service
from issuer.services.offers import approve_with_offer
from issuer.services.transitions import MAX_REASON
from issuer.settings import SettingsDep

__all__ = ["ApprovalPublic", "DecisionRequest", "router"]

router = APIRouter(prefix="/v1/applications", tags=["applications"])


class DecisionRequest(BaseModel):
    """Why an officer approves or rejects; stored in the transition row, not in the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON)


@router.post("", status_code=201, response_model=ApplicationReceipt)
def submit(
    body: ApplicationCreate, session: SessionDep, settings: SettingsDep, now: NowDep
) -> ApplicationReceipt:
    """Apply online; the answer holds the decision and a status token shown only this once."""
    application, token = service.submit_application(
        session=session, data=body, served=settings.jurisdictions, now=now
    )
    return ApplicationReceipt(
        application_id=application.id,
        state=application.state,
        outcome=application.outcome,
        decision=application.decision,
        status_token=token,
    )


@router.get("", response_model=list[ApplicationPublic])
def list_applications(
    session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[str | None, Query(max_length=16)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[ApplicationPublic]:
    """Applications of the officer's own jurisdiction (another jurisdiction: 403)."""
    rows = service.list_applications(
        session=session,
        principal=principal,
        jurisdiction=jurisdiction,
        state=state,
        limit=limit,
        offset=offset,
    )
    return [ApplicationPublic.from_row(row) for row in rows]


@router.get("/{application_id}/status", response_model=ApplicationStatusPublic)
def application_status(
    application_id: uuid.UUID,
    session: SessionDep,
    token: Annotated[str, Header(alias="X-Status-Token", min_length=1, max_length=128)],
) -> ApplicationStatusPublic:
    """The applicant's view (state and decision), with the token from the receipt."""
    row = service.check_status_token(session=session, application_id=application_id, token=token)
    return ApplicationStatusPublic.model_validate(row, from_attributes=True)


@router.get("/{application_id}", response_model=ApplicationPublic)
def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ApplicationPublic:
    row = service.get_application(
        session=session, principal=principal, application_id=application_id
    )
    return ApplicationPublic.from_row(row)


class ApprovalPublic(ApplicationPublic):
    """An approved application with its credential offer (URI and tx_code for the holder)."""

    offer: OfferPublic


@router.post("/{application_id}/approve", response_model=ApprovalPublic)
def approve(
    application_id: uuid.UUID,
    body: DecisionRequest,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> ApprovalPublic:
    """``submitted -> approved`` (clerk, supervisor) and the credential offer, in one
    transaction; 409 from any other state."""
    row, offer = approve_with_offer(
        session=session,
        principal=principal,
        settings=settings,
        application_id=application_id,
        reason=body.reason,
        now=now,
    )
    public = ApplicationPublic.from_row(row)
    return ApprovalPublic(**public.model_dump(), offer=OfferPublic.of(offer))


@router.post("/{application_id}/reject", response_model=ApplicationPublic)
def reject(
    application_id: uuid.UUID,
    body: DecisionRequest,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> ApplicationPublic:
    """``submitted -> rejected`` (clerk, supervisor); 409 from any other state."""
    row = service.reject_application(
        session=session,
        principal=principal,
        application_id=application_id,
        reason=body.reason,
        now=now,
    )
    return ApplicationPublic.from_row(row)
