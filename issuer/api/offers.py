"""Credential offers as URI and QR code: for officers (with the tx_code) and the applicant.

Officers (clerk, supervisor) fetch the open offer of an application, or replace an expired or
lost one; the applicant fetches the same offer with the status-check token of the receipt, but
never the tx_code, which reaches them by a second channel (docs/openid4vci.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import Response
from pydantic import BaseModel

from issuer.api.deps import NowDep, PrincipalDep, SessionDep
from issuer.services import offers as service
from issuer.services.offers import OfferView
from issuer.settings import SettingsDep

__all__ = ["OfferPublic", "router"]

router = APIRouter(prefix="/v1/applications", tags=["offers"])

StatusToken = Annotated[str, Header(alias="X-Status-Token", min_length=1, max_length=128)]
_PNG_HEADERS = {"Cache-Control": "no-store"}
_PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}}}


class OfferPublic(BaseModel):
    """An open credential offer; ``tx_code`` is null for the applicant's view."""

    offer_id: uuid.UUID
    application_id: uuid.UUID
    purpose: str
    offer_uri: str
    tx_code: str | None
    tx_code_required: bool
    expires_at: datetime

    @classmethod
    def of(cls, view: OfferView) -> OfferPublic:
        return cls(
            offer_id=view.offer_id,
            application_id=view.application_id,
            purpose=view.purpose,
            offer_uri=view.offer_uri,
            tx_code=view.tx_code,
            tx_code_required=view.tx_code_required,
            expires_at=view.expires_at,
        )


def _png(view: OfferView) -> Response:
    return Response(
        service.offer_qr_png(view.offer_uri), media_type="image/png", headers=_PNG_HEADERS
    )


def _officer_offer(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> OfferView:
    """The open offer with its tx_code: one resource, shown as JSON or as a QR code."""
    return service.officer_offer(
        session=session,
        principal=principal,
        settings=settings,
        application_id=application_id,
        now=now,
    )


def _applicant_offer(
    application_id: uuid.UUID,
    token: StatusToken,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> OfferView:
    """The applicant's view of the open offer (no tx_code), as JSON or as a QR code."""
    return service.applicant_offer(
        session=session,
        settings=settings,
        application_id=application_id,
        status_token=token,
        now=now,
    )


_OfficerOfferDep = Annotated[OfferView, Depends(_officer_offer)]
_ApplicantOfferDep = Annotated[OfferView, Depends(_applicant_offer)]


@router.get("/{application_id}/offer", response_model=OfferPublic)
def get_offer(view: _OfficerOfferDep) -> OfferPublic:
    """The open offer with its tx_code (clerk, supervisor; 404 when none is open)."""
    return OfferPublic.of(view)


@router.get("/{application_id}/offer/qr", response_class=Response, responses=_PNG)
def get_offer_qr(view: _OfficerOfferDep) -> Response:
    """The open offer as a QR code PNG, to print or show at the counter."""
    return _png(view)


@router.post("/{application_id}/offer", status_code=201, response_model=OfferPublic)
def reissue_offer(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> OfferPublic:
    """A new offer replacing the open one (approved application, or an active permit's copy)."""
    view = service.reissue_offer(
        session=session,
        principal=principal,
        settings=settings,
        application_id=application_id,
        now=now,
    )
    return OfferPublic.of(view)


@router.get("/{application_id}/status/offer", response_model=OfferPublic)
def get_applicant_offer(view: _ApplicantOfferDep) -> OfferPublic:
    """The applicant's view of the open offer (no tx_code); wrong token = unknown id = 404."""
    return OfferPublic.of(view)


@router.get("/{application_id}/status/offer/qr", response_class=Response, responses=_PNG)
def get_applicant_offer_qr(view: _ApplicantOfferDep) -> Response:
    """The applicant's open offer as a QR code PNG, to scan with the wallet."""
    return _png(view)
