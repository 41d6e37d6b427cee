"""Officer login (OAuth2 password grant + optional TOTP) and session introspection."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Response
from pydantic import BaseModel

from issuer.api.deps import (
    NowDep,
    PasswordsDep,
    PrincipalDep,
    SessionDep,
    ThrottleDep,
    client_address,
)
from issuer.services.officers import login
from issuer.settings import SettingsDep

__all__ = ["SessionInfo", "TokenResponse", "router"]

router = APIRouter(prefix="/v1/auth", tags=["auth"])


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response, plus ``mfa`` (whether TOTP was given)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - RFC 6749 token type, not a secret
    expires_in: int
    mfa: bool


class SessionInfo(BaseModel):
    officer_id: uuid.UUID
    role: str
    jurisdiction: str
    mfa: bool


@router.post("/token", response_model=TokenResponse)
def issue_token(
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    throttle: ThrottleDep,
    now: NowDep,
    client: Annotated[str, Depends(client_address)],
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    grant_type: Annotated[Literal["password"] | None, Form()] = None,
    totp: Annotated[str | None, Form(max_length=16)] = None,
) -> TokenResponse:
    """Log in; a valid ``totp`` code opens a session that may suspend, reinstate and revoke."""
    issued = login(
        session=session,
        settings=settings,
        passwords=passwords,
        throttle=throttle,
        username=username,
        password=password,
        totp=totp or None,
        client=client,
        now=now,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, mfa=issued.mfa
    )


@router.get("/session", response_model=SessionInfo)
def current_session(principal: PrincipalDep) -> SessionInfo:
    """Who the bearer token speaks for (401 once the officer is disabled)."""
    return SessionInfo(
        officer_id=principal.officer_id,
        role=principal.role,
        jurisdiction=principal.jurisdiction,
        mfa=principal.mfa,
    )
