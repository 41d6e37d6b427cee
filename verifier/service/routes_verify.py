"""``POST /v1/verify`` and ``POST /v1/verify/image`` (DESIGN §6), and what the page needs.

Both run the same pipeline as ``permit verify`` under the caller's profile and answer 200 with
the DESIGN §6 JSON, valid or rejected; bad input is 422 (problem+json). The image route decodes
the photo with zxing-cpp in a worker thread, bounded by :mod:`verifier.qrimage`. Routes are
``async``: verification runs on the event loop unless a status list must be fetched
(:meth:`~verifier.service.core.VerifierService.verify_async`).

``POST /v1/verify`` is the hot path and a plain Starlette route: FastAPI's per-request
machinery (dependency solving, body-model plumbing) cost about a fifth of a verification's
CPU in ``bench/verifier_load.py`` (≈100 µs of ≈570 µs per request). It validates the same
:class:`VerifyBody` with pydantic and fails the same way (422 naming the field);
:func:`document_verify` adds it to the generated OpenAPI document, so clients (and
schemathesis, ``tests/api_fuzz``) see its contract like any other route's.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from verifier.qrimage import MAX_IMAGE_BYTES, QrImageTooLarge, decode_qr_image
from verifier.service.deps import CallerDep, caller_for

__all__ = ["document_verify", "router"]

router = APIRouter(prefix="/v1", tags=["verify"])
_NO_STORE = {"Cache-Control": "no-store"}


class VerifyBody(BaseModel):
    """DESIGN §6: ``{"presentation": "...", "profile": "..."}``; profile defaults to the
    account's own (or the first open profile)."""

    model_config = ConfigDict(extra="forbid")

    presentation: str = Field(min_length=1, max_length=64 * 1024)
    profile: str | None = Field(default=None, min_length=1, max_length=64)


def parse_verify_body(raw: bytes) -> VerifyBody:
    """The JSON body, validated; errors become the usual 422 naming the field."""
    try:
        return VerifyBody.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None


async def verify(request: Request) -> JSONResponse:
    """``POST /v1/verify``: ``{"presentation", "profile"?}`` → the DESIGN §6 result."""
    caller = await caller_for(request)
    body = parse_verify_body(await request.body())
    service = caller.service
    profile = service.profile_for(caller.account, body.profile)
    result = await service.verify_async(
        body.presentation, profile=profile, account=caller.account, channel="text", now=caller.now
    )
    return JSONResponse(result.to_json(), headers=_NO_STORE)


router.add_route("/v1/verify", verify, methods=["POST"])

#: DESIGN §6 result, as :meth:`wire.verify.VerificationResult.to_json` writes it.
_RESULT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["valid", "reason"],
    "properties": {
        "valid": {"type": "boolean"},
        "reason": {"type": ["string", "null"]},
        "issuer": {},
        "profile": {},
        "claims": {},
        "status": {},
    },
}


def document_verify(app: FastAPI, errors: dict[int | str, dict[str, Any]]) -> None:
    """List ``POST /v1/verify`` in ``app``'s OpenAPI document with ``errors`` (the problem
    responses it can answer): a plain Starlette route is invisible to FastAPI's generator."""
    generate = app.openapi
    operation = {
        "tags": ["verify"],
        "summary": "Verify a presentation",
        "description": "200 with the DESIGN §6 result, valid or rejected.",
        "operationId": "verify_v1_verify_post",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VerifyBody.model_json_schema()}},
        },
        "responses": {
            "200": {
                "description": "The verification result",
                "content": {"application/json": {"schema": _RESULT_SCHEMA}},
            },
            **{str(status): response for status, response in errors.items()},
        },
    }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document["paths"] = {"/v1/verify": {"post": operation}, **document["paths"]}
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@router.post("/verify/image")
async def verify_image(
    image: Annotated[UploadFile, File(description="photo or screenshot of the QR code")],
    caller: CallerDep,
    profile: Annotated[str | None, Form(min_length=1, max_length=64)] = None,
) -> Any:
    service, account = caller.service, caller.account
    chosen = service.profile_for(account, profile)
    data = await image.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise QrImageTooLarge()
    text = await run_in_threadpool(decode_qr_image, data)
    result = await service.verify_async(
        text, profile=chosen, account=account, channel="image", now=caller.now
    )
    return JSONResponse(result.to_json(), headers=_NO_STORE)


@router.get("/account")
async def account_info(caller: CallerDep) -> dict[str, Any]:
    """Who the key speaks for, and the profiles usable without one (for the page)."""
    service, account = caller.service, caller.account
    profiles = service.profiles

    def describe(name: str) -> dict[str, Any]:
        profile = profiles[name]
        return {
            "name": name,
            "claims": list(profile.claims),
            "verifier_bound": profile.verifier_bound,
            "paper": profile.paper,
        }

    return {
        "account": None
        if account is None
        else {"id": account.id, "name": account.name, "profile": describe(account.profile)},
        "open_profiles": [describe(name) for name in service.settings.open_profiles],
    }


@router.get("/issuers")
async def issuers(caller: CallerDep) -> dict[str, Any]:
    """The issuers this verifier trusts (public trust-list data: who, which region)."""
    trust_list = caller.service.trust.trust_list(caller.now)
    return {
        "issuers": [
            {"iss": issuer.iss, "name": issuer.name, "region_code": issuer.region_code}
            for issuer in trust_list.issuers
        ]
    }
