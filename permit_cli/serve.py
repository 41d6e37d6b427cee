"""``permit serve <part>``: run one service (issuer, wallet, verifier) under uvicorn.

Each part owns its command; this group only names them, and imports a part only when asked,
so serving the verifier never loads issuer code.
"""

from __future__ import annotations

import click

from permit_cli.main import LazyGroup

#: name -> "module:attribute" of each service's click command (added as services land;
#: tests/test_cli_registry.py checks every entry resolves).
SERVICES: dict[str, str] = {
    "issuer": "issuer.cli:serve_issuer",
    "wallet": "wallet_api.cli:serve_wallet",
    "verifier": "verifier.service_cli:serve_verifier",
    "all": "permit_cli.serve_all:serve_all",
}


@click.group("serve", cls=LazyGroup, lazy=SERVICES)
def serve() -> None:
    """Run a service: issuer, wallet or verifier."""
