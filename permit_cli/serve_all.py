"""``permit serve all``: issuer, wallet and verifier as separate processes, one configuration.

A person who wants to click through the three web pages needs all parts running and agreeing
on each other: the wallet must trust the issuer, the verifier must hold a trust list with the
issuer's keys and status prefix. This command writes that shared configuration once into a
directory (encrypted issuer key ring + passphrase file, signed trust list, SQLite databases),
then runs every service as its own process (exactly as in production, so nothing shares
memory by accident) on the documented loopback ports 8001 / 8002 / 8003, and stops them all
on Ctrl-C. The verifier joins only when its service command exists (issue 5 is building it).
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import click

__all__ = ["ISSUER_PORT", "VERIFIER_PORT", "WALLET_PORT", "serve_all"]

ISSUER_PORT: Final = 8001
WALLET_PORT: Final = 8002
VERIFIER_PORT: Final = 8003
_START_TIMEOUT: Final = 60.0


@dataclass(frozen=True, slots=True)
class _Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    health: str
    page: str


def _verifier_command() -> list[str] | None:
    """How to start issue 5's verifier service, or None while it does not exist yet."""
    from permit_cli.serve import SERVICES

    if "verifier" in SERVICES:
        return [sys.executable, "-m", "permit_cli", "serve", "verifier"]
    try:
        module = importlib.import_module("verifier.service_cli")
    except ImportError:
        return None
    if not hasattr(module, "serve_verifier"):
        return None
    launcher = "from verifier.service_cli import serve_verifier; serve_verifier()"
    return [sys.executable, "-c", launcher]


def _passphrase(config: Path) -> Path:
    path = config / "key-passphrase"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
    path.chmod(0o600)
    return path


def prepare_config(config: Path, *, host: str, issuer_port: int) -> dict[str, Path]:
    """Write (or reuse) the shared configuration; returns the paths the services read.

    Re-running reuses the key ring and databases, so a restarted stack keeps its permits.
    """
    from pydantic import SecretStr

    from keys.ring import KeyRing
    from keys.store import FileKeyStore
    from keys.trustlist import build_trust_list, sign_trust_list

    config.mkdir(parents=True, exist_ok=True)
    passphrase_file = _passphrase(config)
    passphrase = SecretStr(passphrase_file.read_text().strip())
    issuer_keys, anchor_keys = config / "keys" / "issuer", config / "keys" / "anchor"
    if not (issuer_keys / "ring.json").exists():
        KeyRing.generate("ES256").save(FileKeyStore(issuer_keys, passphrase))
    if not (anchor_keys / "ring.json").exists():
        KeyRing.generate("EdDSA").save(FileKeyStore(anchor_keys, passphrase))
    ring = KeyRing.load(FileKeyStore(issuer_keys, passphrase))
    anchor = KeyRing.load(FileKeyStore(anchor_keys, passphrase))
    base = f"http://{host}:{issuer_port}"
    trust = build_trust_list(
        [
            {
                "iss": f"{base}/issuer",
                "name": "上海市公安局",
                "region_code": "310000",
                "jwks": ring.jwks(),
                "status_list_prefixes": [f"{base}/status/"],
            }
        ],
        allow_insecure_loopback=True,
    )
    now = int(time.time())
    (config / "trust-list.json").write_text(json.dumps(trust, ensure_ascii=False, indent=2))
    (config / "trust-list.jwt").write_text(
        sign_trust_list(
            trust, anchor.active_key, iat=now, exp=now + 30 * 86400, allow_insecure_loopback=True
        )
    )
    (config / "anchor.jwks.json").write_text(json.dumps(anchor.jwks()))
    return {
        "passphrase": passphrase_file,
        "issuer_keys": issuer_keys,
        "trust_list": config / "trust-list.jwt",
        "anchor": config / "anchor.jwks.json",
    }


def _services(
    config: Path, paths: dict[str, Path], host: str, ports: tuple[int, int, int]
) -> list[_Service]:
    issuer_port, wallet_port, verifier_port = ports
    issuer_base = f"http://{host}:{issuer_port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PERMIT_")}
    clean.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "permit_cli", "serve"]
    services = [
        _Service(
            "issuer",
            [*cli, "issuer", "--host", host, "--port", str(issuer_port)],
            clean
            | {
                "PERMIT_ISSUER_ENVIRONMENT": "development",
                "PERMIT_ISSUER_DATABASE_URL": f"sqlite:///{config / 'issuer.db'}",
                "PERMIT_ISSUER_ISSUER_URL": f"{issuer_base}/issuer",
                "PERMIT_ISSUER_PUBLIC_BASE_URL": issuer_base,
                "PERMIT_KEY_DIR": str(paths["issuer_keys"]),
                "PERMIT_KEY_PASSPHRASE_FILE": str(paths["passphrase"]),
            },
            f"{issuer_base}/.well-known/jwt-vc-issuer/issuer",
            f"{issuer_base}/docs",
        ),
        _Service(
            "wallet",
            [*cli, "wallet", "--host", host, "--port", str(wallet_port)],
            clean
            | {
                "PERMIT_WALLET_ENVIRONMENT": "development",
                "PERMIT_WALLET_DATABASE_URL": f"sqlite:///{config / 'wallet.db'}",
                "PERMIT_WALLET_ALLOW_INSECURE_LOOPBACK": "true",
                "PERMIT_WALLET_TRUSTED_ISSUERS": json.dumps([f"{issuer_base}/issuer"]),
            },
            f"http://{host}:{wallet_port}/healthz",
            f"http://{host}:{wallet_port}/",
        ),
    ]
    verifier = _verifier_command()
    if verifier is not None:
        services.append(
            _Service(
                "verifier",
                [*verifier, "--host", host, "--port", str(verifier_port)],
                clean
                | {
                    "PERMIT_VERIFIER_ENVIRONMENT": "development",
                    # In-person profiles anyone may check; bound ones need verifier accounts.
                    "PERMIT_VERIFIER_OPEN_PROFILES": json.dumps(["landlord", "school"]),
                    "PERMIT_VERIFIER_TRUST_LIST_PATH": str(paths["trust_list"]),
                    "PERMIT_VERIFIER_TRUST_ANCHOR_PATH": str(paths["anchor"]),
                    "PERMIT_VERIFIER_ALLOW_INSECURE_LOOPBACK": "true",
                    "PERMIT_VERIFIER_PUBLIC_BASE_URL": f"http://{host}:{verifier_port}",
                },
                f"http://{host}:{verifier_port}/healthz",
                f"http://{host}:{verifier_port}/",
            )
        )
    return services


def _migrate_issuer(service: _Service) -> None:
    """The issuer does not migrate on start (the wallet does): run ``permit db upgrade``."""
    subprocess.run(
        [sys.executable, "-m", "permit_cli", "db", "upgrade"],
        env=service.env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the stack like Ctrl-C does, so the children are never orphaned."""
    del signum, frame
    raise KeyboardInterrupt


@click.command("all")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--issuer-port", default=ISSUER_PORT, show_default=True, type=int)
@click.option("--wallet-port", default=WALLET_PORT, show_default=True, type=int)
@click.option("--verifier-port", default=VERIFIER_PORT, show_default=True, type=int)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/serve"),
    show_default=True,
    help="Shared configuration: keys, passphrase file, trust list, SQLite databases.",
)
def serve_all(
    host: str, issuer_port: int, wallet_port: int, verifier_port: int, config_dir: Path
) -> None:
    """Run issuer, wallet and verifier as separate processes; Ctrl-C stops all of them."""
    paths = prepare_config(config_dir, host=host, issuer_port=issuer_port)
    services = _services(config_dir, paths, host, (issuer_port, wallet_port, verifier_port))
    if not any(s.name == "verifier" for s in services):
        click.echo("verifier service not available yet (issue 5): running issuer and wallet only")
    _migrate_issuer(services[0])
    # For `permit officer create` etc. against the same database: `env $(cat issuer.env) ...`.
    (config_dir / "issuer.env").write_text(
        "".join(f"{k}={v}\n" for k, v in services[0].env.items() if k.startswith("PERMIT_"))
    )
    processes: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for service in services:
            processes[service.name] = subprocess.Popen(service.argv, env=service.env)  # noqa: S603
        deadline = time.monotonic() + _START_TIMEOUT
        pending = list(services)
        while pending:
            if time.monotonic() > deadline:
                raise click.ClickException(f"{pending[0].name} did not start in time")
            for service in list(pending):
                if processes[service.name].poll() is not None:
                    raise click.ClickException(f"{service.name} exited during start-up")
                if _answers(service.health):
                    pending.remove(service)
            time.sleep(0.2)
        click.echo(f"shared configuration: {config_dir}/ (trust list {paths['trust_list']})")
        for service in services:
            click.echo(f"{service.name:8} {service.page}")
        click.echo("all services ready; Ctrl-C stops them")
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        raise click.ClickException("a service exited; stopping the others")
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        _stop(processes)
