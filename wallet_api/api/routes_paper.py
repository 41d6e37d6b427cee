"""The paper permit: obtain it from the issuer, then the sheet as JSON, HTML or PDF."""

from __future__ import annotations

import html
import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Response

from wallet_api.api.deps import (
    AccountDep,
    EngineDep,
    IssuerClientDep,
    NowDep,
    ProfilesDep,
    SessionDep,
    VaultDep,
)
from wallet_api.api.schemas import PaperField, PaperOut, PaperQrOut, ReceivedOut
from wallet_api.pdf import PaperField as PdfField
from wallet_api.pdf import PaperQr, render_paper_pdf
from wallet_api.qr import qr_matrix, qr_svg
from wallet_api.services.paper import PaperSheet, paper_sheet, request_paper
from wallet_api.services.permits import permit_access

__all__ = ["router"]

router = APIRouter(tags=["paper"])
_NO_STORE: Final = {"Cache-Control": "no-store"}
_CAPTIONS: Final = {"landlord": "给房东看 For landlords", "school": "给学校看 For schools"}
_NOTE: Final = (
    "纸质居住证：无持证人绑定，仅用于接受纸质凭证的场合。"
    " Paper permit: no holder binding; valid only where paper is accepted."
)


def _sheet(
    permit_id: uuid.UUID,
    account: AccountDep,
    session: SessionDep,
    vault: VaultDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> PaperSheet:
    """The printable sheet, one resource in three formats; each print is in the history."""
    access = permit_access(session=session, actor=account, permit_id=permit_id, now=now)
    return paper_sheet(session=session, vault=vault, profiles=profiles, access=access, now=now)


_SheetDep = Annotated[PaperSheet, Depends(_sheet)]


@router.post("/v1/permits/{permit_id}/paper", status_code=201, response_model=ReceivedOut)
def obtain_paper(
    permit_id: uuid.UUID,
    account: AccountDep,
    engine: EngineDep,
    client: IssuerClientDep,
    vault: VaultDep,
    now: NowDep,
) -> ReceivedOut:
    """Ask the issuer for the paper credential (no ``cnf``) of this permit (owner only)."""
    result = request_paper(
        engine=engine, client=client, vault=vault, actor=account, permit_id=permit_id, now=now
    )
    return ReceivedOut(
        permit_id=result.permit_id,
        copies=result.copies,
        replaced=result.replaced,
        renewed=result.renewed,
    )


@router.get("/v1/permits/{permit_id}/paper", response_model=PaperOut)
def paper_json(response: Response, sheet: _SheetDep) -> PaperOut:
    """Fields and QR payloads of the printable sheet (the page draws and prints it)."""
    response.headers.update(_NO_STORE)
    return PaperOut(
        permit_id=sheet.permit_id,
        fields=[
            PaperField(claim=c, label_zh=z, label_en=e, value=v) for c, z, e, v in sheet.fields
        ],
        qrs=[PaperQrOut(profile=p, qr_text=t) for p, t in sheet.qrs],
    )


@router.get(
    "/v1/permits/{permit_id}/paper.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
def paper_html(sheet: _SheetDep) -> Response:
    """A self-contained printable page (inline SVG QR codes, print CSS)."""
    rows = "".join(
        f"<tr><th>{html.escape(z)}<br><small>{html.escape(e)}</small></th>"
        f"<td>{html.escape(v)}</td></tr>"
        for _, z, e, v in sheet.fields
    )
    codes = "".join(
        "<figure>"
        + qr_svg(text).decode("utf-8").split("?>", 1)[-1]
        + f"<figcaption>{html.escape(_CAPTIONS.get(profile, profile))}</figcaption></figure>"
        for profile, text in sheet.qrs
    )
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        "<title>居住证（纸质）Residence permit (paper)</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:2em}"
        "figure{display:inline-block;width:45%;margin:0}svg{width:100%;height:auto}"
        "@page{size:A4;margin:15mm}</style>"
        f"<h1>居住证（纸质）<small>Residence permit (paper)</small></h1><table>{rows}</table>"
        f"{codes}<p><small>{html.escape(_NOTE)}</small></p></html>"
    )
    headers = {
        **_NO_STORE,
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    }
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)


@router.get(
    "/v1/permits/{permit_id}/paper.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def paper_pdf(sheet: _SheetDep) -> Response:
    """The printable sheet as a one-page A4 PDF."""
    pdf = render_paper_pdf(
        title="居住证（纸质）",
        subtitle="Residence permit (paper) / 电子居住证的纸质凭证",
        fields=[PdfField(f"{z} {e}", v) for _, z, e, v in sheet.fields],
        qrs=[PaperQr(_CAPTIONS.get(p, p), qr_matrix(t)) for p, t in sheet.qrs],
        note=_NOTE,
    )
    headers = {**_NO_STORE, "Content-Disposition": 'inline; filename="residence-permit.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)
