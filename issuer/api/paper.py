"""The paper-credential endpoint (docs/wallet.md "Paper credential contract").

It sits next to the OpenID4VCI endpoints under the Credential Issuer Identifier
(``<issuer_url>/paper-credential``) and answers in the same shapes: a Credential Response on
success, OAuth ``{"error", "error_description"}`` on failure, both ``no-store``. There is no
access token: the presentation of a current phone copy is the authentication.
"""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from issuer.api.deps import NowDep, SessionDep
from issuer.api.errors import oauth_error_responses
from issuer.api.publishing import RingDep
from issuer.services.paper import MAX_PAPER_BODY, issue_paper_credential
from issuer.settings import IssuerSettings, SettingsDep
from wire.oid4vci import InvalidRequest

__all__ = ["PAPER_ENDPOINT_MEMBER", "build_router", "paper_endpoint_url"]

#: The extra Credential Issuer Metadata member the wallet looks for (unknown to other wallets).
PAPER_ENDPOINT_MEMBER: Final = "paper_credential_endpoint"
_NO_STORE: Final = {"Cache-Control": "no-store"}


def paper_endpoint_url(settings: IssuerSettings) -> str:
    """The absolute URL the metadata advertises."""
    return f"{settings.issuer_url.rstrip('/')}/paper-credential"


async def _bounded_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_PAPER_BODY):
        raise InvalidRequest("the request body is too large")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_PAPER_BODY:
            raise InvalidRequest("the request body is too large")
    return bytes(body)


def build_router(settings: IssuerSettings) -> APIRouter:
    """The paper-credential route for ``settings.issuer_url``."""
    router = APIRouter(tags=["openid4vci"])

    @router.post(
        urlsplit(paper_endpoint_url(settings)).path or "/",
        responses=oauth_error_responses(400, 401),
    )
    def issue(
        body: Annotated[bytes, Depends(_bounded_body)],
        session: SessionDep,
        settings: SettingsDep,
        ring: RingDep,
        now: NowDep,
    ) -> JSONResponse:
        """Issue one paper credential for a proven current copy (docs/wallet.md step 3-6)."""
        answer = issue_paper_credential(
            session=session, body=body, settings=settings, ring=ring, now=now
        )
        return JSONResponse(answer.to_json(), headers=_NO_STORE)

    return router
