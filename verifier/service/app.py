"""The verifier application factory: ``create_app(settings) -> FastAPI``.

Everything a request needs — profiles, accounts, the trust list keeper, the shared status
resolver, the replay cache and the request store (memory for one process, Redis when
``REDIS_URL`` is set), the clock — is built here and kept on ``app.state``; nothing lives in
module globals. Two background tasks run while the app serves: the trust list is reloaded
every ``trust_refresh_seconds`` and status lists are fetched again shortly before their ``ttl``
runs out; the shell around them (version, app-wide problem responses, error handlers, a
lifespan that closes what the app created) is the services' common one (:mod:`servicekit.app`).
Apart from Redis the process is stateless, so ``permit serve verifier --workers N``
(or several machines behind a load balancer) scale it. Run it with ``permit serve verifier`` or
``uvicorn --factory verifier.service.app:create_app_from_env``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import httpx
import redis
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from servicekit.app import Owned, service_app
from verifier.replay import MemoryNonceCache, RedisNonceCache
from verifier.service import routes_requests, routes_verify
from verifier.service.accounts import AccountDirectory
from verifier.service.core import Clock, VerifierService
from verifier.service.errors import install_error_handlers
from verifier.service.limits import BodyLimit
from verifier.service.requests import MemoryRequestStore, RedisRequestStore, RequestStore
from verifier.service.routes_verify import document_verify
from verifier.service.settings import VerifierSettings
from verifier.service.status_refresh import StatusRefresher, TrackingStatusLookup
from verifier.service.trust import (
    FileTrustSource,
    TrustKeeper,
    TrustSource,
    UrlTrustSource,
    load_anchor,
)
from verifier.service.web import install_web
from verifier.status import DirectoryStatusCache, MemoryStatusCache, StatusCache, StatusResolver
from wire.errors import ConfigurationError, PermitError
from wire.jws import ALGORITHMS
from wire.problem import problem_responses
from wire.profiles import Profile, load_profiles
from wire.verify import NonceCache

__all__ = ["create_app", "create_app_from_env", "preflight"]

_log = logging.getLogger(__name__)


def _unix_now() -> int:
    return int(time.time())


def _check_open_profiles(settings: VerifierSettings, profiles: Mapping[str, Profile]) -> None:
    for name in settings.open_profiles:
        if name not in profiles:
            raise ConfigurationError("open_profiles: not a configured profile")
        if profiles[name].verifier_bound:
            raise ConfigurationError("open_profiles: a verifier-bound profile needs an account")


def _trust_source(settings: VerifierSettings, client: httpx.Client) -> TrustSource:
    if settings.trust_list_url is not None:
        return UrlTrustSource(settings.trust_list_url, client, settings.allow_insecure_loopback)
    assert settings.trust_list_path is not None  # the settings validator requires one of them
    return FileTrustSource(settings.trust_list_path)


def _stores(
    settings: VerifierSettings, client: redis.Redis | None
) -> tuple[NonceCache, RequestStore]:
    if client is None:
        return MemoryNonceCache(), MemoryRequestStore()
    prefix = settings.redis_prefix
    return (
        RedisNonceCache(client, prefix=prefix + "nonce:"),
        RedisRequestStore(client, prefix=prefix + "request:"),
    )


async def _every(seconds: float, job: Callable[[], object], what: str) -> None:
    """Run ``job`` in a worker thread every ``seconds``; a failed run is logged, not fatal."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(job)
        except (PermitError, OSError, httpx.HTTPError, redis.RedisError) as exc:
            _log.warning("%s failed: %s", what, type(exc).__name__)


def _http_client(settings: VerifierSettings) -> httpx.Client:
    return httpx.Client(
        timeout=settings.http_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "residence-permit-verifier/0.1"},
    )


def _load_configuration(
    settings: VerifierSettings, client: httpx.Client, now: int
) -> tuple[dict[str, Profile], AccountDirectory, TrustKeeper]:
    profiles = load_profiles(settings.profiles_path)
    _check_open_profiles(settings, profiles)
    accounts = AccountDirectory.load(settings.accounts_path, profiles)
    anchor = load_anchor(settings.trust_anchor_path) if settings.trust_anchor_path else None
    trust = TrustKeeper(
        _trust_source(settings, client),
        anchor=anchor,
        now=now,
        allow_insecure_loopback=settings.allow_insecure_loopback,
    )
    return profiles, accounts, trust


def preflight(settings: VerifierSettings) -> None:
    """Load profiles, accounts, anchor and trust list once; :class:`ConfigurationError` if any
    is unusable (``permit serve verifier`` checks before it starts workers)."""
    with _http_client(settings) as client:
        _load_configuration(settings, client, _unix_now())


@asynccontextmanager
async def _refreshing(app: FastAPI) -> AsyncIterator[None]:
    """The trust list and status refresh tasks, while the app serves."""
    service: VerifierService = app.state.service
    settings = service.settings
    tasks = [
        asyncio.create_task(
            _every(settings.trust_refresh_seconds, service.refresh_trust, "trust refresh")
        ),
        asyncio.create_task(
            _every(
                settings.status_refresh_interval_seconds,
                service.refresh_status,
                "status refresh",
            )
        ),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def create_app(
    settings: VerifierSettings,
    *,
    clock: Clock = _unix_now,
    http_client: httpx.Client | None = None,
    redis_client: redis.Redis | None = None,
) -> FastAPI:
    """Build the verifier service; raises :class:`ConfigurationError` on unusable settings.

    ``http_client`` (status and trust-list fetches) and ``redis_client`` may be injected; what
    the app creates itself it closes at shutdown. ``clock`` returns Unix seconds and governs
    every time decision (tests move it).
    """
    owned = Owned()
    client = (
        http_client
        if http_client is not None
        else owned.adopt(_http_client(settings), httpx.Client.close)
    )
    try:
        profiles, accounts, trust = _load_configuration(settings, client, clock())
    except ConfigurationError:
        owned.close()
        raise
    cache: StatusCache = (
        DirectoryStatusCache(settings.status_cache_dir)
        if settings.status_cache_dir is not None
        else MemoryStatusCache()
    )
    resolver = StatusResolver(
        client=None if settings.offline else client,
        cache=cache,
        algorithms=ALGORITHMS,
        offline=settings.offline,
        max_offline_age=settings.max_offline_age_seconds,
    )
    lookup = TrackingStatusLookup(resolver, cache)
    refresher = None
    if not settings.offline:
        refresher = StatusRefresher(
            lookup,
            cache,
            margin=settings.status_refresh_margin_seconds,
            allow_insecure_loopback=settings.allow_insecure_loopback,
        )
    if redis_client is None and settings.redis_url is not None:
        redis_client = owned.adopt(
            redis.Redis.from_url(
                settings.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
            ),
            redis.Redis.close,
        )
    nonce_cache, requests = _stores(settings, redis_client)
    service = VerifierService(
        settings=settings,
        trust=trust,
        profiles=profiles,
        accounts=accounts,
        status_lookup=lookup,
        refresher=refresher,
        nonce_cache=nonce_cache,
        requests=requests,
        clock=clock,
        defer_seen=redis_client is not None,
    )

    telemetry = settings.opentelemetry
    app = service_app(
        settings,
        title="Residence permit verifier",
        # Any route: an unreadable or oversized body, invalid input, trust list expired or
        # Redis down.
        responses=problem_responses(400, 413, 422, 503),
        install_error_handlers=install_error_handlers,
        owned=owned,
        running=_refreshing,
        telemetry={"tracing": telemetry, "metrics": telemetry, "logs": telemetry},
    )
    app.state.service = service
    # What each router's errors answer (the OpenAPI document; tests/api_fuzz checks the wire).
    verify_errors = problem_responses(401, 403, 409)
    app.include_router(routes_verify.router, responses=verify_errors)
    app.include_router(routes_requests.router, responses=problem_responses(401, 403, 404))
    document_verify(app, {**verify_errors, **problem_responses(400, 413, 422, 503)})
    install_web(app)
    app.add_middleware(BodyLimit)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from the environment."""
    return create_app(VerifierSettings.load())
