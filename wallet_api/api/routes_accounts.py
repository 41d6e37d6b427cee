"""Accounts and sessions: register, log in (throttled), log out, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from wallet_api.api.deps import (
    AccountDep,
    EngineDep,
    NowDep,
    PasswordsDep,
    SessionDep,
    TokenDep,
    client_address,
)
from wallet_api.api.schemas import AccountCreate, AccountPublic, SessionOut, TokenOut
from wallet_api.db import session_scope
from wallet_api.services import accounts as service
from wallet_api.settings import SettingsDep
from wire.errors import AuthenticationRequired

__all__ = ["router"]

router = APIRouter(tags=["accounts"])
_NO_STORE = {"Cache-Control": "no-store"}


@router.post("/v1/accounts", status_code=201, response_model=AccountPublic)
def register(
    body: AccountCreate, session: SessionDep, passwords: PasswordsDep, now: NowDep
) -> AccountPublic:
    """Create a holder account (Argon2id password hash)."""
    account = service.register(
        session=session,
        passwords=passwords,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        now=now,
    )
    return AccountPublic(
        id=account.id, username=account.username, display_name=account.display_name
    )


@router.post("/v1/auth/login", response_model=TokenOut)
def login(
    request: Request,
    response: Response,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    engine: EngineDep,
    passwords: PasswordsDep,
    settings: SettingsDep,
    now: NowDep,
) -> TokenOut:
    """A short-lived session token; 401 on a wrong password, 429 (Retry-After) when throttled."""
    with session_scope(engine) as session:
        outcome = service.login(
            session=session,
            passwords=passwords,
            settings=settings,
            username=username,
            password=password,
            client=client_address(request),
            now=now,
        )
    if isinstance(outcome, AuthenticationRequired):
        raise outcome  # after the commit above: the failure is counted
    response.headers.update(_NO_STORE)
    return TokenOut(access_token=outcome.token, expires_in=outcome.expires_in)


@router.post("/v1/auth/logout", status_code=204, response_class=Response)
def logout(token: TokenDep, session: SessionDep) -> Response:
    """End this session (idempotent)."""
    service.logout(session=session, token=token)
    return Response(status_code=204)


@router.get("/v1/auth/session", response_model=SessionOut)
def whoami(token: TokenDep, account: AccountDep, session: SessionDep, now: NowDep) -> SessionOut:
    """The account behind the token and when the session ends."""
    _, expires_at = service.resolve_session(session=session, token=token, now=now)
    return SessionOut(
        username=account.username, display_name=account.display_name, expires_at=expires_at
    )
