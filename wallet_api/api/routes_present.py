"""Presentations: preview, live QR (JSON for the page), PNG/SVG, history, verifier requests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Response
from sqlmodel import Session

from wallet_api.api.deps import (
    AccountDep,
    EngineDep,
    NowDep,
    OutboundDep,
    ProfilesDep,
    SessionDep,
    VaultDep,
)
from wallet_api.api.schemas import (
    HistoryOut,
    PresentationIn,
    PresentationOut,
    PreviewOut,
    RequestAnswerIn,
    RequestAnswerOut,
    RequestIn,
    RequestPreviewOut,
)
from wallet_api.models import Account
from wallet_api.qr import qr_png, qr_svg
from wallet_api.services import presentations as service
from wallet_api.services import requests as requests_service
from wallet_api.services.permits import Access, permit_access
from wallet_api.settings import SettingsDep
from wallet_api.vault import Vault
from wire.errors import InvalidInput
from wire.presentation import QR_AUDIENCE
from wire.profiles import Profile

__all__ = ["router"]

router = APIRouter(tags=["presentations"])
_NO_STORE: Final = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class _Presenter:
    """What showing the claims of a permit takes besides the permit and the profile: the caller
    (owner, or helper under a grant), the request's transaction, the vault and the profiles."""

    account: Account
    session: Session
    vault: Vault
    profiles: Mapping[str, Profile]
    now: datetime

    def profile(self, name: str) -> Profile:
        """The configured profile ``name`` (404 when there is none)."""
        return service.get_profile(self.profiles, name)

    def _access(self, permit_id: uuid.UUID, profile: Profile) -> Access:
        return permit_access(
            session=self.session,
            actor=self.account,
            permit_id=permit_id,
            now=self.now,
            profile=profile.name,
        )

    def preview(self, permit_id: uuid.UUID, profile: Profile) -> dict[str, Any]:
        """The values a presentation of ``profile`` would disclose (nothing is recorded)."""
        access = self._access(permit_id, profile)
        return service.preview_claims(
            vault=self.vault, session=self.session, access=access, profile=profile
        )

    def present(self, permit_id: uuid.UUID, profile: str, *, channel: str) -> service.Presentation:
        """A fresh in-person presentation of profile ``profile``, recorded in the history."""
        chosen = self.profile(profile)
        return service.present(
            session=self.session,
            vault=self.vault,
            profiles=self.profiles,
            access=self._access(permit_id, chosen),
            profile=chosen,
            now=self.now,
            channel=channel,
        )


def _presenter(
    account: AccountDep, session: SessionDep, vault: VaultDep, profiles: ProfilesDep, now: NowDep
) -> _Presenter:
    return _Presenter(account, session, vault, profiles, now)


_PresenterDep = Annotated[_Presenter, Depends(_presenter)]


@router.get("/v1/permits/{permit_id}/presentations/{profile}/preview", response_model=PreviewOut)
def preview(permit_id: uuid.UUID, profile: str, presenter: _PresenterDep) -> PreviewOut:
    """Exactly what a presentation for ``profile`` discloses (values shown to the holder only)."""
    chosen = presenter.profile(profile)
    claims = presenter.preview(permit_id, chosen)
    return PreviewOut(
        permit_id=permit_id,
        profile=chosen.name,
        audience=None if chosen.verifier_bound else QR_AUDIENCE,
        verifier_bound=chosen.verifier_bound,
        paper=chosen.paper,
        paths=list(chosen.claims),
        claims=claims,
    )


@router.post("/v1/permits/{permit_id}/presentations", response_model=PresentationOut)
def create_presentation(
    permit_id: uuid.UUID,
    body: PresentationIn,
    response: Response,
    presenter: _PresenterDep,
    settings: SettingsDep,
) -> PresentationOut:
    """A fresh in-person presentation (KB-JWT: QR audience, new nonce, iat); the page draws it."""
    made = presenter.present(permit_id, body.profile, channel="qr")
    response.headers.update(_NO_STORE)
    return PresentationOut(
        profile=made.profile,
        audience=made.audience,
        qr_text=made.qr_text,
        presentation=made.text,
        iat=made.iat,
        nonce=made.nonce,
        paths=list(made.paths),
        refresh_seconds=settings.qr_refresh_seconds,
    )


@router.get(
    "/v1/permits/{permit_id}/presentations/{profile}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def presentation_png(permit_id: uuid.UUID, profile: str, presenter: _PresenterDep) -> Response:
    """A fresh presentation as a QR PNG (compact RP1 payload, ECC M)."""
    made = presenter.present(permit_id, profile, channel="qr_png")
    return Response(qr_png(made.qr_text), media_type="image/png", headers=_NO_STORE)


@router.get(
    "/v1/permits/{permit_id}/presentations/{profile}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def presentation_svg(permit_id: uuid.UUID, profile: str, presenter: _PresenterDep) -> Response:
    """A fresh presentation as a QR SVG (compact RP1 payload, ECC M)."""
    made = presenter.present(permit_id, profile, channel="qr_svg")
    return Response(qr_svg(made.qr_text), media_type="image/svg+xml", headers=_NO_STORE)


@router.get("/v1/history", response_model=list[HistoryOut])
def history(
    account: AccountDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[HistoryOut]:
    """Who was shown which profile of which permit, when (never the values)."""
    entries = service.history(session=session, account=account, limit=limit, offset=offset)
    return [
        HistoryOut(
            at=entry.event.at,
            permit_id=entry.event.permit_id,
            profile=entry.event.profile,
            audience=entry.event.audience,
            channel=entry.event.channel,
            actor=entry.actor,
            holder=entry.holder,
            via_helper=entry.event.grant_id is not None
            or entry.event.actor_id != entry.event.holder_id,
        )
        for entry in entries
    ]


@router.post("/v1/requests/preview", response_model=RequestPreviewOut)
def preview_request(
    body: RequestIn, presenter: _PresenterDep, settings: SettingsDep
) -> RequestPreviewOut:
    """Who asks (verifier origin) for what (claim paths) — before the holder consents."""
    request = requests_service.parse_request(body.request, settings=settings)
    summary = requests_service.summarize_request(request, presenter.profiles)
    values = None
    if body.permit_id is not None:
        wanted = Profile(request.profile, request.claims, paper=False, verifier_bound=True)
        values = presenter.preview(body.permit_id, wanted)
    return RequestPreviewOut(
        verifier_origin=summary.verifier_origin,
        client_id=request.client_id,
        profile=request.profile,
        known_profile=summary.known_profile is not None,
        paths=list(request.claims),
        beyond_profile=list(summary.beyond_profile),
        claims=values,
    )


@router.post("/v1/requests/respond", response_model=RequestAnswerOut)
def respond_request(
    body: RequestAnswerIn,
    account: AccountDep,
    engine: EngineDep,
    vault: VaultDep,
    profiles: ProfilesDep,
    outbound: OutboundDep,
    settings: SettingsDep,
    now: NowDep,
) -> RequestAnswerOut:
    """With consent: present exactly the requested claims to that verifier (POST or QR)."""
    if not body.consent:
        raise InvalidInput("the holder's consent is required", field="consent")
    request = requests_service.parse_request(body.request, settings=settings)
    answer = requests_service.answer_request(
        engine=engine,
        vault=vault,
        profiles=profiles,
        outbound=outbound,
        actor=account,
        permit_id=body.permit_id,
        request=request,
        delivery=body.delivery,
        now=now,
    )
    return RequestAnswerOut(
        delivered=answer.delivered,
        verifier_status=answer.verifier_status,
        qr_text=answer.presentation.qr_text if body.delivery == "qr" else None,
        profile=answer.presentation.profile,
        audience=answer.presentation.audience,
    )
