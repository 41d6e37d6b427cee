"""The wallet application factory: ``create_app(settings) -> FastAPI``.

Everything a request needs — engine, clock, password hasher, vault, profiles, the outbound
HTTP client, the status cache, the holder-key factory — is built here from the settings (or
injected by the caller) and kept on ``app.state``; nothing lives in module globals. The shell —
version, app-wide problem responses, error handlers, a lifespan that closes what the app
created — is the services' common one (:mod:`servicekit.app`). Run it with
``permit serve wallet`` or ``uvicorn --factory wallet_api.api.app:create_app_from_env``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from keys.generate import KeyAlg, generate_private_key
from servicekit.app import Owned, service_app
from servicekit.deps import install_request_state
from wallet_api.api import (
    routes_accounts,
    routes_helpers,
    routes_paper,
    routes_permits,
    routes_present,
)
from wallet_api.api.deps import Clock
from wallet_api.api.errors import install_error_handlers
from wallet_api.api.web import install_web
from wallet_api.db import create_engine_for, utcnow
from wallet_api.outbound import Outbound
from wallet_api.services.accounts import Passwords
from wallet_api.settings import WalletSettings
from wallet_api.status import StatusCache
from wallet_api.vault import Vault
from wire.jwk import PrivateKey
from wire.problem import problem_responses
from wire.profiles import Profile, load_profiles

__all__ = ["create_app", "create_app_from_env"]


def create_app(
    settings: WalletSettings,
    *,
    engine: Engine | None = None,
    clock: Clock = utcnow,
    http_client: httpx.Client | None = None,
    profiles: Mapping[str, Profile] | None = None,
    key_factory: Callable[[KeyAlg], PrivateKey] = generate_private_key,
) -> FastAPI:
    """Build the wallet service.

    ``engine`` and ``http_client`` may be shared or injected (tests give the client an
    in-process transport); what the app creates itself it closes at shutdown. ``clock`` must
    return timezone-aware datetimes. The database must be migrated (``permit serve wallet``
    does it before starting).
    """
    owned = Owned()
    db = engine if engine is not None else owned.adopt(create_engine_for(settings), Engine.dispose)
    client = (
        http_client
        if http_client is not None
        else owned.adopt(
            httpx.Client(
                timeout=settings.http_timeout_seconds,
                follow_redirects=False,
                headers={"User-Agent": "residence-permit-wallet/0.1"},
            ),
            httpx.Client.close,
        )
    )
    app = service_app(
        settings,
        title="Residence permit wallet",
        # Any route: an unreadable body, invalid input, the database unavailable.
        responses=problem_responses(400, 422, 503),
        install_error_handlers=install_error_handlers,
        owned=owned,
    )
    install_request_state(app, engine=db, clock=clock, passwords=Passwords(settings))
    app.state.vault = Vault(settings.key_encryption_secret)
    app.state.profiles = (
        dict(profiles) if profiles is not None else load_profiles(settings.profiles_path)
    )
    app.state.http_client = client
    app.state.key_factory = key_factory
    app.state.statuses = StatusCache(
        lambda: Outbound(client, allow_insecure_loopback=settings.allow_insecure_loopback)
    )
    # What each router's errors answer (the OpenAPI document; tests/api_fuzz checks the wire);
    # 502: the issuer or verifier the holder points the wallet at failed.
    app.include_router(routes_accounts.router, responses=problem_responses(401, 409, 429))
    app.include_router(routes_permits.router, responses=problem_responses(401, 404, 409, 413, 502))
    app.include_router(routes_present.router, responses=problem_responses(401, 403, 404, 409, 502))
    app.include_router(routes_helpers.router, responses=problem_responses(401, 403, 404, 409))
    app.include_router(routes_paper.router, responses=problem_responses(401, 404, 409, 502))
    install_web(app)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from the environment."""
    return create_app(WalletSettings.load())
