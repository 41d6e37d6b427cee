"""Session-wide world and surfaces, and the per-case observation every test asserts on.

Building the world (keys, credentials, a status server, a trust list, accounts) and the
service app once per session keeps the suite fast; each case still gets a context of its own
(:meth:`World.ctx`), so no case can see another's status list or nonce.
"""

from __future__ import annotations

import functools
import logging
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx._config as httpx_config
import httpx._transports.default as httpx_transport
import pytest
import redis

from tests.adversarial.netguard import Connections, guard
from tests.adversarial.surfaces import CliSurface, PipelineSurface, ServiceSurface
from tests.adversarial.world import NOW, World, serve_status
from tests.redis_service import REDIS_URL, redis_reachable
from tests.verifier.service.conftest import TestClient
from verifier.service.app import create_app
from verifier.service.settings import VerifierSettings


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serve_status() as (server, port):
        yield World(server, port, tmp_path_factory.mktemp("adversarial"))


@pytest.fixture(scope="session")
def pipeline(world: World) -> Iterator[PipelineSurface]:
    surface = PipelineSurface(world)
    yield surface
    surface.close()


def _settings(world: World, **overrides: object) -> VerifierSettings:
    values: dict[str, object] = {
        "environment": "test",
        "trust_list_path": world.trust_path,
        "accounts_path": world.accounts_path,
        "allow_insecure_loopback": True,
        "redis_url": None,
        "trust_refresh_seconds": 3600,
        "status_refresh_interval_seconds": 3600,
    }
    return VerifierSettings.load(**(values | overrides))


@pytest.fixture(scope="session")
def service(world: World) -> Iterator[ServiceSurface]:
    with TestClient(create_app(_settings(world), clock=lambda: NOW)) as client:
        yield ServiceSurface(world, (client,))


@pytest.fixture(scope="session")
def workers(world: World) -> Iterator[ServiceSurface]:
    """Two service instances that share nothing but Redis (DESIGN §3: one replay cache for all
    workers of a verifier)."""
    if not redis_reachable():
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable")
    prefix = f"test:adversarial:{secrets.token_hex(6)}:"
    settings = _settings(world, redis_url=REDIS_URL, redis_prefix=prefix)
    try:
        with (
            TestClient(create_app(settings, clock=lambda: NOW)) as first,
            TestClient(create_app(settings, clock=lambda: NOW)) as second,
        ):
            yield ServiceSurface(world, (first, second))
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


_create_ssl_context = httpx_config.create_ssl_context


@functools.cache
def _shared_ssl_context(trust_env: bool) -> ssl.SSLContext:
    return _create_ssl_context(verify=True, cert=None, trust_env=trust_env)


def _ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
    if verify is True and cert is None:
        return _shared_ssl_context(trust_env)
    return _create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)


@pytest.fixture(scope="session")
def cli_dirs() -> Iterator[Path]:
    """Where each CLI case gets its ``--cache-dir``: in memory when the system has a tmpfs,
    because creating each case's SQLite nonce cache on disk (WAL, fsync) costs more than the
    verification."""
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(prefix="adversarial-", dir=shm if shm.is_dir() else None))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def cli_surface(cli_dirs: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> CliSurface:
    """``permit verify`` builds an HTTP client per run, and loading the CA bundle into a new
    SSL context (~40 ms) would be most of the suite's time. Runs here share one context: the
    status lists are plain http on loopback, so TLS settings play no part in any case."""
    monkeypatch.setattr(httpx_transport, "create_ssl_context", _ssl_context)
    return CliSurface(world, Path(tempfile.mkdtemp(dir=cli_dirs)))


@dataclass
class Observed:
    """What one verification did besides answering."""

    connections: Connections
    #: Paths the status server was asked for.
    requests: list[str] = field(default_factory=list)
    #: Every log record, formatted, from every logger at DEBUG.
    logs: list[str] = field(default_factory=list)


@pytest.fixture
def observe(
    world: World, caplog: pytest.LogCaptureFixture
) -> Callable[..., AbstractContextManager[Observed]]:
    """``with observe(*allowed) as seen:`` — outbound connections (only the status server and
    ``allowed`` may be reached), status-server requests and all log records of the block."""
    caplog.set_level(logging.DEBUG)
    loggers = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]

    @contextmanager
    def watch(*allowed: tuple[str, int]) -> Iterator[Observed]:
        quiet = {logger: logger.level for logger in loggers if logger.level > logging.DEBUG}
        isolated = [logger for logger in loggers if not logger.propagate]
        for logger in quiet:
            logger.setLevel(logging.DEBUG)
        for logger in isolated:
            logger.addHandler(caplog.handler)
        mark = len(world.server.requests)
        try:
            with guard(("127.0.0.1", world.port), *allowed) as connections:
                seen = Observed(connections)
                yield seen
        finally:
            for logger, level in quiet.items():
                logger.setLevel(level)
            for logger in isolated:
                logger.removeHandler(caplog.handler)
        seen.requests = world.requests_since(mark)
        text = caplog.text  # formats every record, which also fills in ``exc_text``
        seen.logs = [text] + [
            f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
            for record in caplog.records
        ]

    return watch
