"""Employer batches over HTTP: upload (202), progress, listing (issue 3 §7), officer approval.

Employers authenticate with ``Authorization: Bearer <employer API key>``. The key is checked
in a short transaction of its own, before the body is read: on SQLite every transaction holds
the write lock, and a 10 MB upload from a slow client must not hold it (nor be read at all for
a caller without a key). The body is read in chunks and refused with 413 as soon as it passes
``batch_max_bytes``.

Officers (clerk, supervisor of the batch's jurisdiction) approve a finished batch with
``POST /v1/batches/{id}/approve``: its pending applications are approved and their permits
issued in bulk, a chunk per request (:mod:`issuer.services.bulk`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, BackgroundTasks, Depends, Header, HTTPException, Query, Request
from fastapi import Response as FastAPIResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from issuer.api.deps import MAX_OFFSET, NowDep, PrincipalDep, SessionDep
from issuer.api.offers import OfferPublic
from issuer.api.publishing import RingDep
from issuer.batchfile import UploadFormat, format_for_media_type
from issuer.db import session_scope
from issuer.models.batches import BatchAccepted, BatchPublic, BatchStatus
from issuer.services import batches as service
from issuer.services.bulk import MAX_CHUNK, approve_batch
from issuer.services.employers import EmployerPrincipal, authenticate_employer
from issuer.services.transitions import MAX_REASON
from issuer.settings import SettingsDep
from issuer.worker import BatchWorker
from wire.errors import PayloadTooLarge

__all__ = [
    "BatchApprovalPublic",
    "BatchApprovalRequest",
    "BulkPermitPublic",
    "EmployerDep",
    "get_employer",
    "router",
]

router = APIRouter(prefix="/v1/batches", tags=["batches"])

_employer_key = HTTPBearer(
    scheme_name="EmployerKey",
    description="An employer API key (`permit employer create`).",
    auto_error=False,
)

_UPLOAD_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            # Rows are checked one by one: a row that is not an application (not even an
            # object) becomes a row error of the batch, it does not refuse the upload.
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"description": "an application (POST /v1/applications body)"},
                }
            },
        },
    }
}


def get_employer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_employer_key)],
) -> EmployerPrincipal:
    """The employer behind the bearer key (401 when missing, unknown or disabled)."""
    engine: Engine = request.app.state.engine
    with session_scope(engine) as session:
        return authenticate_employer(
            session=session, api_key=credentials.credentials if credentials else None
        )


EmployerDep = Annotated[EmployerPrincipal, Depends(get_employer)]


def upload_format(
    content_type: Annotated[str | None, Header(max_length=200)] = None,
) -> UploadFormat:
    """CSV or JSON by ``Content-Type``; anything else is 415 (before the body is read)."""
    fmt = format_for_media_type(content_type)
    if fmt is None:
        raise HTTPException(415, detail="send text/csv or application/json, UTF-8")
    return fmt


async def read_upload(request: Request, settings: SettingsDep) -> bytes:
    """The request body, refused with 413 past ``batch_max_bytes`` without reading it all."""
    limit = settings.batch_max_bytes
    too_large = PayloadTooLarge(f"an upload may hold at most {limit} bytes; split the file")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def get_worker(request: Request) -> BatchWorker:
    worker: BatchWorker = request.app.state.batch_worker
    return worker


@router.post("", status_code=202, response_model=BatchAccepted, openapi_extra=_UPLOAD_BODY)
def submit_batch(
    employer: EmployerDep,
    fmt: Annotated[UploadFormat, Depends(upload_format)],
    content: Annotated[bytes, Depends(read_upload)],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    worker: Annotated[BatchWorker, Depends(get_worker)],
    background: BackgroundTasks,
    response: FastAPIResponse,
) -> BatchAccepted:
    """Queue a CSV or JSON upload of applications; poll ``status_url`` for progress.

    The worker is woken after the response, i.e. after the batch is committed.
    """
    batch = service.accept_batch(
        session=session,
        employer=employer,
        content=content,
        fmt=fmt,
        max_rows=settings.batch_max_rows,
        now=now,
    )
    background.add_task(worker.notify, batch.id)
    status_url = f"{router.prefix}/{batch.id}"
    response.headers["Location"] = status_url
    return BatchAccepted(id=batch.id, state=batch.state, total=batch.total, status_url=status_url)


@router.get("", response_model=list[BatchPublic])
def list_batches(
    employer: EmployerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[BatchPublic]:
    """The employer's own batches, newest first."""
    return service.list_batches(session=session, employer=employer, limit=limit, offset=offset)


@router.get("/{batch_id}", response_model=BatchStatus)
def get_batch(batch_id: uuid.UUID, employer: EmployerDep, session: SessionDep) -> BatchStatus:
    """``state``, ``total``, ``done``, ``failed``, row ``errors``; ``applications`` once done."""
    return service.batch_status(session=session, employer=employer, batch_id=batch_id)


class BatchApprovalRequest(BaseModel):
    """The officer's reason (recorded on every approval) and how many to issue this time."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON)
    limit: int = Field(default=100, ge=1, le=MAX_CHUNK)


class BulkPermitPublic(BaseModel):
    """One issued permit: its number, its paper credential (to print) and the wallet offer."""

    row: int | None
    application_id: uuid.UUID
    permit_id: uuid.UUID
    permit_no: str
    paper_credential: str
    offer: OfferPublic


class BatchApprovalPublic(BaseModel):
    """The permits issued by this request; call again while ``remaining`` is not zero."""

    batch_id: uuid.UUID
    issued: list[BulkPermitPublic]
    remaining: int


@router.post("/{batch_id}/approve", response_model=BatchApprovalPublic)
def approve(
    batch_id: uuid.UUID,
    body: BatchApprovalRequest,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    ring: RingDep,
    now: NowDep,
    response: FastAPIResponse,
) -> BatchApprovalPublic:
    """Approve a finished batch and issue its permits in bulk (clerk, supervisor).

    Each request approves up to ``limit`` pending applications (decisions that grant a permit,
    in row order) in one transaction — all or nothing — and answers their permits with paper
    credentials and offers; ``no-store``, since the answer holds credentials.
    """
    result = approve_batch(
        session=session,
        principal=principal,
        settings=settings,
        ring=ring,
        batch_id=batch_id,
        reason=body.reason,
        limit=body.limit,
        now=now,
    )
    response.headers["Cache-Control"] = "no-store"
    return BatchApprovalPublic(
        batch_id=result.batch_id,
        issued=[
            BulkPermitPublic(
                row=item.batch_row,
                application_id=item.application_id,
                permit_id=item.permit_id,
                permit_no=item.permit_no,
                paper_credential=item.paper_credential,
                offer=OfferPublic.of(item.offer),
            )
            for item in result.issued
        ],
        remaining=result.remaining,
    )
