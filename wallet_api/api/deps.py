"""Request dependencies, all read from ``request.app.state`` (filled by ``create_app``).

There is no module-level state: tests build an app per test with their own settings, engine,
clock and HTTP client. The engine, request session, clock, password hasher and client address
are the services' common ones (:mod:`servicekit.deps`, re-exported here). The bearer session
is resolved in a short transaction of its own, so a route that talks to an issuer or verifier
never holds a database transaction (on SQLite, the write lock) while it waits on the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

import httpx
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from keys.generate import KeyAlg
from servicekit.deps import (
    Clock,
    EngineDep,
    NowDep,
    PasswordsDep,
    SessionDep,
    client_address,
    get_engine,
)
from wallet_api.db import session_scope
from wallet_api.models import Account
from wallet_api.oid4vci_client import IssuerClient
from wallet_api.outbound import Outbound
from wallet_api.services.accounts import resolve_session
from wallet_api.settings import SettingsDep
from wallet_api.status import StatusCache
from wallet_api.vault import Vault
from wire.errors import AuthenticationRequired
from wire.jwk import PrivateKey
from wire.profiles import Profile

__all__ = [
    "AccountDep",
    "Clock",
    "EngineDep",
    "IssuerClientDep",
    "KeyFactoryDep",
    "NowDep",
    "OutboundDep",
    "PasswordsDep",
    "ProfilesDep",
    "SessionDep",
    "StatusesDep",
    "TokenDep",
    "VaultDep",
    "client_address",
]

KeyFactory = Callable[[KeyAlg], PrivateKey]

_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/login", auto_error=False)


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(_vault)]


def _profiles(request: Request) -> Mapping[str, Profile]:
    profiles: Mapping[str, Profile] = request.app.state.profiles
    return profiles


ProfilesDep = Annotated[Mapping[str, Profile], Depends(_profiles)]


def _statuses(request: Request) -> StatusCache:
    statuses: StatusCache = request.app.state.statuses
    return statuses


StatusesDep = Annotated[StatusCache, Depends(_statuses)]


def _outbound(request: Request, settings: SettingsDep) -> Outbound:
    client: httpx.Client = request.app.state.http_client
    return Outbound(client, allow_insecure_loopback=settings.allow_insecure_loopback)


OutboundDep = Annotated[Outbound, Depends(_outbound)]


def _issuer_client(outbound: OutboundDep, settings: SettingsDep) -> IssuerClient:
    return IssuerClient(outbound, allow_insecure_loopback=settings.allow_insecure_loopback)


IssuerClientDep = Annotated[IssuerClient, Depends(_issuer_client)]


def _key_factory(request: Request) -> KeyFactory:
    factory: KeyFactory = request.app.state.key_factory
    return factory


KeyFactoryDep = Annotated[KeyFactory, Depends(_key_factory)]


def _token(token: Annotated[str | None, Depends(_bearer)]) -> str:
    if not token:
        raise AuthenticationRequired("log in first: a bearer session token is required")
    return token


TokenDep = Annotated[str, Depends(_token)]


def _account(request: Request, token: TokenDep, now: NowDep) -> Account:
    """The account of a live session, resolved in its own short transaction."""
    with session_scope(get_engine(request)) as session:
        account, _ = resolve_session(session=session, token=token, now=now)
    return account


AccountDep = Annotated[Account, Depends(_account)]
