"""OpenID4VCI endpoints: discovery metadata, token, nonce and credential (OpenID4VCI 1.0).

Paths follow the Credential Issuer Identifier (``issuer_url``): for
``https://host/issuer`` the endpoints are ``/issuer/token``, ``/issuer/nonce`` and
``/issuer/credential``, and the well-known documents sit at ``/.well-known/<suffix>/issuer``
(OpenID4VCI §12.2.2, RFC 8414 §3.1, SD-JWT VC "JWT VC Issuer Metadata"). The router is therefore
built from the settings. Errors answer in OAuth's ``{"error", "error_description"}`` shape
(:func:`issuer.api.errors.oauth_error_response`); successes and errors are ``no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from issuer.api.deps import NowDep, SessionDep
from issuer.api.errors import oauth_error_response, oauth_error_responses
from issuer.api.paper import PAPER_ENDPOINT_MEMBER, paper_endpoint_url
from issuer.api.publishing import RingDep
from issuer.services import oid4vci as service
from issuer.settings import IssuerSettings, SettingsDep
from wire.oid4vci import (
    AS_METADATA_SUFFIX,
    CREDENTIAL_ISSUER_SUFFIX,
    JWT_VC_ISSUER_SUFFIX,
    MAX_BODY_BYTES,
    InvalidCredentialRequest,
    InvalidRequest,
    InvalidToken,
    Oid4vciError,
    TokenRequest,
    authorization_server_metadata,
    issuer_metadata,
    jwt_vc_issuer_metadata,
    well_known_url,
)

__all__ = ["build_router", "endpoint_urls"]

_NO_STORE: Final = {"Cache-Control": "no-store"}
_OAUTH_ERRORS: Final = oauth_error_responses(400, 401)
_FORM: Final = "application/x-www-form-urlencoded"
#: A token request has at most four parameters; a few unknown ones are tolerated (§6.1).
_MAX_FORM_FIELDS: Final = 16


def endpoint_urls(settings: IssuerSettings) -> dict[str, str]:
    """Absolute URLs of the token, nonce and credential endpoints (as the metadata lists them)."""
    base = settings.issuer_url.rstrip("/")
    return {name: f"{base}/{name}" for name in ("token", "nonce", "credential")}


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


async def _bounded_body(request: Request, error: type[Oid4vciError]) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise error("the request body is too large")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise error("the request body is too large")
    return bytes(body)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def token_request(request: Request) -> TokenRequest:
    """Parse the form body strictly: repeated parameters are caught (RFC 6749 §3.1)."""
    if _media_type(request) != _FORM:
        raise InvalidRequest("the token request must be application/x-www-form-urlencoded")
    body = await _bounded_body(request, InvalidRequest)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=_MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the token request body is malformed") from None
    return TokenRequest.from_form(pairs)


async def credential_body(request: Request) -> bytes:
    """The raw Credential Request body, bounded. The service parses it (as strict JSON, which
    refuses any other media type) only after checking the access token (RFC 6750 §3.1)."""
    return await _bounded_body(request, InvalidCredentialRequest)


def bearer_token(request: Request) -> str | None:
    """The Bearer access token of the Authorization header (RFC 6750 §2.1), or None."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("the Authorization header must carry a Bearer token")
    return token.strip()


def build_router(settings: IssuerSettings) -> APIRouter:
    """The OpenID4VCI routes for ``settings.issuer_url``."""
    router = APIRouter(tags=["openid4vci"])
    urls = endpoint_urls(settings)
    issuer = settings.issuer_url

    @router.get(_path(well_known_url(issuer, CREDENTIAL_ISSUER_SUFFIX)))
    def credential_issuer_metadata(settings: SettingsDep, ring: RingDep) -> dict[str, Any]:
        """Credential Issuer Metadata (§12.2.4)."""
        algs = sorted({entry.alg for entry in ring.entries})
        document = issuer_metadata(
            credential_issuer=settings.issuer_url,
            credential_endpoint=urls["credential"],
            nonce_endpoint=urls["nonce"],
            batch_size=settings.credential_batch_size,
            credential_signing_algs=algs,
            display=[{"name": settings.issuer_display_name, "locale": "zh-CN"}],
        )
        # The paper-permit extension of docs/wallet.md; other wallets ignore the member.
        document[PAPER_ENDPOINT_MEMBER] = paper_endpoint_url(settings)
        return document

    @router.get(_path(well_known_url(issuer, AS_METADATA_SUFFIX)))
    def oauth_authorization_server(settings: SettingsDep) -> dict[str, Any]:
        """OAuth 2.0 Authorization Server Metadata (RFC 8414, §12.3): the issuer is its own AS."""
        return authorization_server_metadata(
            issuer=settings.issuer_url, token_endpoint=urls["token"]
        )

    @router.get(_path(well_known_url(issuer, JWT_VC_ISSUER_SUFFIX)))
    def jwt_vc_issuer(settings: SettingsDep, ring: RingDep) -> dict[str, Any]:
        """JWT VC Issuer Metadata (SD-JWT VC): the public keys of the signing ring."""
        return jwt_vc_issuer_metadata(settings.issuer_url, ring.jwks())

    @router.post(_path(urls["token"]), responses=_OAUTH_ERRORS)
    def token(
        request: Annotated[TokenRequest, Depends(token_request)],
        session: SessionDep,
        settings: SettingsDep,
        now: NowDep,
    ) -> JSONResponse:
        """Token endpoint (§6): pre-authorized code (+ tx_code) for a Bearer access token."""
        outcome = service.redeem_pre_authorized_code(
            session=session, request=request, settings=settings, now=now
        )
        if isinstance(outcome, Oid4vciError):
            # Returned, not raised: the request transaction commits the failed PIN attempt.
            return oauth_error_response(outcome)
        return JSONResponse(outcome.to_json(), headers=_NO_STORE)

    @router.post(_path(urls["nonce"]))
    def nonce(session: SessionDep, settings: SettingsDep, now: NowDep) -> JSONResponse:
        """Nonce endpoint (§7): a fresh single-use ``c_nonce``; no authentication."""
        answer = service.new_nonce(session=session, settings=settings, now=now)
        return JSONResponse(answer.to_json(), headers=_NO_STORE)

    @router.post(_path(urls["credential"]), responses=_OAUTH_ERRORS)
    def credential(
        access_token: Annotated[str | None, Depends(bearer_token)],
        body: Annotated[bytes, Depends(credential_body)],
        session: SessionDep,
        settings: SettingsDep,
        ring: RingDep,
        now: NowDep,
    ) -> JSONResponse:
        """Credential endpoint (§8): one SD-JWT VC per key proof."""
        answer = service.issue_credentials(
            session=session,
            access_token=access_token,
            body=body,
            settings=settings,
            ring=ring,
            now=now,
        )
        return JSONResponse(answer.to_json(), headers=_NO_STORE)

    return router
