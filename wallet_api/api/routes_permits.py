"""Receiving permits (OpenID4VCI offers as text or QR image), listing, status, removal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from wallet_api.api.deps import (
    AccountDep,
    EngineDep,
    IssuerClientDep,
    KeyFactoryDep,
    NowDep,
    ProfilesDep,
    SessionDep,
    StatusesDep,
    VaultDep,
)
from wallet_api.api.schemas import (
    OfferIn,
    OfferInfo,
    PermitDetailOut,
    PermitOut,
    ProfileOut,
    ReceivedOut,
    ScanOut,
)
from wallet_api.db import session_scope
from wallet_api.qrimage import MAX_IMAGE_BYTES, read_qr_image
from wallet_api.services import permits as service
from wallet_api.services.permits import PermitSummary
from wallet_api.services.receive import Received, parse_offer, redeem_offer
from wallet_api.settings import SettingsDep
from wire.errors import PayloadTooLarge
from wire.oid4vci import OFFER_SCHEME
from wire.vprequest import REQUEST_SCHEME

__all__ = ["router"]

router = APIRouter(tags=["permits"])


def _permit_out(summary: PermitSummary) -> PermitOut:
    claims = summary.view.claims

    def text(name: str) -> str | None:
        value = claims.get(name)
        return value if isinstance(value, str) else None

    return PermitOut(
        id=summary.permit.id,
        issuer=summary.permit.issuer,
        permit_no=text("permit_no"),
        name=text("name"),
        permit_class=text("permit_class"),
        endorsed_until=text("endorsed_until"),
        expires_at=datetime.fromtimestamp(summary.view.exp, UTC),
        status=summary.report.status,
        due_for_endorsement=summary.report.due_for_endorsement,
        copies=summary.copies,
        paper_available=summary.paper,
        delegated_by=summary.delegated_by,
    )


def _received(result: Received) -> ReceivedOut:
    return ReceivedOut(
        permit_id=result.permit_id,
        copies=result.copies,
        replaced=result.replaced,
        renewed=result.renewed,
    )


async def _read_upload(image: UploadFile) -> bytes:
    data = await image.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge("the image is too large")
    return data


@router.post("/v1/offers/inspect", response_model=OfferInfo)
def inspect_offer(body: OfferIn, _account: AccountDep, settings: SettingsDep) -> OfferInfo:
    """Who offers the permit and whether a PIN is needed (nothing is contacted or stored)."""
    offer = parse_offer(body.offer, settings=settings)
    spec = offer.tx_code
    return OfferInfo(
        credential_issuer=offer.credential_issuer,
        tx_code_required=spec is not None,
        tx_code_length=spec.length if spec else None,
        tx_code_input_mode=spec.input_mode if spec else None,
        tx_code_description=spec.description if spec else None,
    )


@router.post("/v1/offers", status_code=201, response_model=ReceivedOut)
def redeem(
    body: OfferIn,
    account: AccountDep,
    engine: EngineDep,
    client: IssuerClientDep,
    vault: VaultDep,
    settings: SettingsDep,
    key_factory: KeyFactoryDep,
    now: NowDep,
) -> ReceivedOut:
    """Redeem a credential offer (URI or JSON); 409 if it was already redeemed."""
    result = redeem_offer(
        engine=engine,
        client=client,
        vault=vault,
        settings=settings,
        account_id=account.id,
        offer_text=body.offer,
        tx_code=body.tx_code,
        now=now,
        key_factory=key_factory,
    )
    return _received(result)


@router.post("/v1/offers/image", status_code=201, response_model=ReceivedOut)
async def redeem_image(
    image: Annotated[UploadFile, File()],
    account: AccountDep,
    engine: EngineDep,
    client: IssuerClientDep,
    vault: VaultDep,
    settings: SettingsDep,
    key_factory: KeyFactoryDep,
    now: NowDep,
    tx_code: Annotated[str | None, Form(max_length=64)] = None,
) -> ReceivedOut:
    """Redeem the offer in a QR image (a photo or screenshot of the offer QR code)."""
    text = read_qr_image(await _read_upload(image))
    result = await run_in_threadpool(
        lambda: redeem_offer(
            engine=engine,
            client=client,
            vault=vault,
            settings=settings,
            account_id=account.id,
            offer_text=text,
            tx_code=tx_code,
            now=now,
            key_factory=key_factory,
        )
    )
    return _received(result)


@router.post("/v1/scan", response_model=ScanOut)
async def scan(image: Annotated[UploadFile, File()], _account: AccountDep) -> ScanOut:
    """Read a QR image: a credential offer or a verifier's request (the page then asks)."""
    text = read_qr_image(await _read_upload(image))
    if text.startswith(f"{OFFER_SCHEME}://"):
        return ScanOut(kind="credential_offer", text=text)
    if text.startswith(f"{REQUEST_SCHEME}://"):
        return ScanOut(kind="presentation_request", text=text)
    return ScanOut(kind="unknown", text="")


@router.get("/v1/permits", response_model=list[PermitOut])
def list_permits(
    account: AccountDep,
    engine: EngineDep,
    vault: VaultDep,
    statuses: StatusesDep,
    settings: SettingsDep,
    now: NowDep,
) -> list[PermitOut]:
    """Own permits and those a helper grant covers, with status (valid/suspended/…)."""
    with session_scope(engine) as session:
        summaries = service.permit_summaries(session=session, vault=vault, actor=account, now=now)
    return [
        _permit_out(service.with_status(item, statuses=statuses, settings=settings, now=now))
        for item in summaries
    ]


@router.get("/v1/permits/{permit_id}", response_model=PermitDetailOut)
def get_permit(
    permit_id: uuid.UUID,
    account: AccountDep,
    engine: EngineDep,
    vault: VaultDep,
    statuses: StatusesDep,
    settings: SettingsDep,
    now: NowDep,
) -> PermitDetailOut:
    """One permit with every claim (owner only)."""
    with session_scope(engine) as session:
        access = service.permit_access(
            session=session, actor=account, permit_id=permit_id, now=now, owner_only=True
        )
        summary = service.summarize(session=session, vault=vault, permit=access.permit, now=now)
    summary = service.with_status(summary, statuses=statuses, settings=settings, now=now)
    return PermitDetailOut(**_permit_out(summary).model_dump(), claims=summary.view.claims)


@router.delete("/v1/permits/{permit_id}", status_code=204, response_class=Response)
def delete_permit(
    permit_id: uuid.UUID, account: AccountDep, session: SessionDep, now: NowDep
) -> Response:
    """Remove a permit and its keys from the wallet (owner only; the history stays)."""
    service.delete_permit(session=session, actor=account, permit_id=permit_id, now=now)
    return Response(status_code=204)


@router.get("/v1/profiles", response_model=list[ProfileOut])
def list_profiles(profiles: ProfilesDep) -> list[ProfileOut]:
    """The relying-party profiles (DESIGN §7) the wallet presents for."""
    return [
        ProfileOut(
            name=p.name,
            claims=list(p.claims),
            paper=p.paper,
            verifier_bound=p.verifier_bound,
            description=p.description,
        )
        for p in profiles.values()
    ]
