"""``permit serve wallet``: migrate the wallet database, then run the service under uvicorn."""

from __future__ import annotations

import click

from wire.errors import ConfigurationError

__all__ = ["serve_wallet"]


@click.command("wallet")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8002, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Apply the wallet's database migrations before starting.",
)
def serve_wallet(host: str, port: int, workers: int, migrate: bool) -> None:
    """Run the holder wallet (settings from PERMIT_WALLET_* / DATABASE_URL)."""
    import uvicorn

    from wallet_api.db import create_engine_for
    from wallet_api.migrate import upgrade
    from wallet_api.settings import WalletSettings

    try:
        settings = WalletSettings.load()
    except ConfigurationError as exc:
        raise click.ClickException(exc.message) from None
    if migrate:
        engine = create_engine_for(settings)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
    uvicorn.run(
        "wallet_api.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
    )
