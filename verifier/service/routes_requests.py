"""Verifier-bound requests (DESIGN §3): create, answer (``direct_post``), poll, QR image.

``POST /v1/requests/{id}/response`` is the wallet's endpoint: form-encoded ``vp_token`` and
``state`` (OpenID4VP 1.0 §8.2). It answers 200 ``{"status": "accepted"}`` or 400 with an
OAuth-style ``error`` and the DESIGN §6 ``reason`` — never the claims, which go only to the
verifier's own page through ``GET /v1/requests/{id}``.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from verifier.service.bound import (
    RequestRefused,
    answer_request,
    create_request,
    find_request,
    view_request,
)
from verifier.service.deps import AccountCallerDep, ServiceDep
from verifier.service.qr import qr_png

__all__ = ["router"]

router = APIRouter(prefix="/v1/requests", tags=["requests"])
_NO_STORE = {"Cache-Control": "no-store"}
_FORM = "application/x-www-form-urlencoded"
#: The wallet-facing refusal (OpenID4VP 1.0 §8.2): OAuth ``error`` and the DESIGN §6 ``reason``.
_REFUSED: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Refused: `error` (OAuth) and `reason` (DESIGN §6)",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["error", "reason"],
                    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}},
                }
            }
        },
    }
}


@router.post("", status_code=201)
def new_request(caller: AccountCallerDep) -> Any:
    record = create_request(service=caller.service, account=caller.account, now=caller.now)
    uri = record.to_request().to_uri()
    png = base64.b64encode(qr_png(uri)).decode("ascii")
    body = {
        "id": record.id,
        "profile": record.profile,
        "claims": list(record.claims),
        "client_id": record.client_id,
        "response_uri": record.response_uri,
        "state": record.state,
        "request_uri": uri,
        "expires_at": record.expires_at,
        "qr_png": f"data:image/png;base64,{png}",
        "status_url": f"/v1/requests/{record.id}",
    }
    return JSONResponse(body, status_code=201, headers=_NO_STORE)


@router.get("/{request_id}")
def get_request(request_id: str, caller: AccountCallerDep) -> Any:
    view = view_request(
        service=caller.service, account=caller.account, request_id=request_id, now=caller.now
    )
    return JSONResponse(view, headers=_NO_STORE)


@router.get("/{request_id}/qr.png", responses={200: {"content": {"image/png": {}}}})
def request_qr(request_id: str, caller: AccountCallerDep) -> Response:
    record = find_request(service=caller.service, account=caller.account, request_id=request_id)
    png = qr_png(record.to_request().to_uri())
    return Response(png, media_type="image/png", headers=_NO_STORE)


def _oauth_error(reason: str, error: str = "invalid_request") -> JSONResponse:
    return JSONResponse({"error": error, "reason": reason}, status_code=400, headers=_NO_STORE)


@router.post("/{request_id}/response", responses=_REFUSED)
async def request_response(request_id: str, request: Request, service: ServiceDep) -> JSONResponse:
    now = service.clock()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        return _oauth_error("unsupported_content_type")
    try:
        pairs = parse_qsl(
            (await request.body()).decode("ascii"),
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=16,
        )
    except (UnicodeDecodeError, ValueError):
        return _oauth_error("invalid_form")
    fields = dict(pairs)
    if len(fields) != len(pairs):
        return _oauth_error("invalid_form")
    try:
        outcome = await run_in_threadpool(
            lambda: answer_request(service=service, request_id=request_id, fields=fields, now=now)
        )
    except RequestRefused as refused:
        return _oauth_error(refused.reason)
    if not outcome.result.valid:
        return _oauth_error(outcome.result.reason or "rejected", "access_denied")
    return JSONResponse({"status": "accepted"}, headers=_NO_STORE)
