"""``permit serve verifier``: run the verifier service under uvicorn (settings: PERMIT_VERIFIER_*).

Several workers share nothing but Redis, so ``--workers`` above 1 needs ``REDIS_URL``: without
it each worker would keep its own replay cache and request store, and a QR accepted by one
worker would be accepted again by another (DESIGN §3). Verification records go to stdout as
one JSON object per line (logger ``verifier.records``).
"""

from __future__ import annotations

import socket
from typing import Any

import click

from wire.errors import ConfigurationError

__all__ = ["new_account_key_command", "serve_verifier"]


def _log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging plus the verification records, one JSON line each, on stdout."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["formatters"] = {**LOGGING_CONFIG["formatters"], "record": {"format": "%(message)s"}}
    config["handlers"] = {
        **LOGGING_CONFIG["handlers"],
        "records": {
            "class": "logging.StreamHandler",
            "formatter": "record",
            "stream": "ext://sys.stdout",
        },
    }
    config["loggers"] = {
        **LOGGING_CONFIG["loggers"],
        "verifier.records": {"handlers": ["records"], "level": "INFO", "propagate": False},
        "verifier": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.access": {
            **LOGGING_CONFIG["loggers"]["uvicorn.access"],
            "level": "INFO" if access_log else "WARNING",
        },
    }
    return config


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, created with ``IPPROTO_TCP`` so that asyncio sets ``TCP_NODELAY``
    on every accepted connection. uvicorn's own socket for ``--workers`` leaves the protocol 0,
    asyncio then skips ``TCP_NODELAY``, and each response (headers and body are two writes)
    waits on the client's delayed ACK: about 40 ms per request on Linux."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise SystemExit(2) from None
    return sock


@click.command("verifier")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8003, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="uvicorn's per-request access log (the verification records are always written).",
)
def serve_verifier(host: str, port: int, workers: int, access_log: bool) -> None:
    """Run the verifier service (settings from PERMIT_VERIFIER_* / REDIS_URL).

    The settings, profiles, accounts, anchor and trust list are checked before anything
    listens; exit status 2 when they are unusable.
    """
    import uvicorn

    from verifier.service.app import preflight
    from verifier.service.settings import VerifierSettings

    try:
        settings = VerifierSettings.load()
        if workers > 1 and settings.redis_url is None:
            raise ConfigurationError(
                "--workers > 1 needs REDIS_URL: the replay cache and requests must be shared"
            )
        preflight(settings)  # fail fast: trust list, anchor, accounts, profiles
    except ConfigurationError as exc:
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(2) from None
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "verifier.service.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        log_config=_log_config(access_log),
        access_log=access_log,
    )
    sock = _listen(host, port)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            config.load_app()
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


@click.command("verifier-account-key")
def new_account_key_command() -> None:
    """Print a new verifier account key and the SHA-256 for the accounts file."""
    from verifier.service.accounts import hash_key, new_account_key

    key = new_account_key()
    click.echo(f"key:        {key}")
    click.echo(f"key_sha256: {hash_key(key)}")
