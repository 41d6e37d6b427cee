"""The demo's running system: two cities' issuers, a holder wallet and a verifier service,
each its own process.

Everything is set up on embedded defaults under the output directory: encrypted key rings
(one passphrase file, mode 0600), SQLite databases, officer and employer accounts created the
way ``permit officer create`` / ``permit employer create`` do, and a trust list signed by the
federation anchor that names both issuers (cross-region recognition). The verifier service
(``permit serve verifier``) reads that signed list and has one account, the bank's counter,
whose key exists only in this process (the accounts file holds its SHA-256, docs/verifier.md).
It keeps its replay cache and requests in memory: Redis is not part of the embedded defaults.
Services listen on free loopback ports and are stopped by their own process handles when the
demo ends.

The issuers run with ``credential_grace_days = 0`` and a 366-day renewal window, so that the
annual endorsement can be shown today and the replaced credential stops right after renewal
(its grace period is configured to zero days instead of advancing a clock).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from permit_cli.demo.processes import clean_env, free_port, service_process, wait_ready

__all__ = [
    "CITIES",
    "City",
    "Issuer",
    "Stack",
    "issuer_command",
    "running_stack",
    "wallet_command",
    "wallet_env",
]

OFFICER_PASSWORD = "demo officer passphrase"  # noqa: S105 - a throw-away demo account


@dataclass(frozen=True, slots=True)
class City:
    key: str
    jurisdiction: str
    authority: str
    region_code: str


CITIES = (
    City("shanghai", "shanghai", "上海市公安局", "310000"),
    City("suzhou", "jiangsu", "苏州市公安局", "320500"),
)


@dataclass
class Issuer:
    city: City
    base: str
    db_url: str
    clerk: str
    supervisor: str
    supervisor_totp: str
    employer_key: str

    @property
    def issuer_url(self) -> str:
        return f"{self.base}/issuer"


@dataclass
class Stack:
    out: Path
    issuers: dict[str, Issuer]
    wallet_base: str
    trust_list: Path
    anchor: Path
    verifier_base: str
    #: The bank counter's account key at the verifier service (``Authorization: Bearer``).
    bank_key: str


def _issuer_env(city: City, out: Path, base: str, passphrase: Path) -> dict[str, str]:
    return {
        "PERMIT_ISSUER_ENVIRONMENT": "test",
        "PERMIT_ISSUER_DATABASE_URL": f"sqlite:///{out / f'{city.key}.db'}",
        "PERMIT_ISSUER_ISSUER_URL": f"{base}/issuer",
        "PERMIT_ISSUER_PUBLIC_BASE_URL": base,
        "PERMIT_ISSUER_ISSUER_DISPLAY_NAME": city.authority,
        "PERMIT_ISSUER_JURISDICTIONS": json.dumps([city.jurisdiction]),
        "PERMIT_ISSUER_AUTHORITIES": json.dumps({city.jurisdiction: city.authority}),
        "PERMIT_ISSUER_CREDENTIAL_GRACE_DAYS": "0",
        "PERMIT_ISSUER_RENEWAL_WINDOW_DAYS": "366",
        "PERMIT_ISSUER_ARGON2_TIME_COST": "1",
        "PERMIT_ISSUER_ARGON2_MEMORY_KIB": "8",
        "PERMIT_ISSUER_ARGON2_PARALLELISM": "1",
        "PERMIT_KEY_DIR": str(out / "keys" / city.key),
        "PERMIT_KEY_PASSPHRASE_FILE": str(passphrase),
    }


def _accounts(city: City, env: dict[str, str]) -> tuple[str, str, str, str]:
    """Migrate the city's database and create its clerk, supervisor and employer."""
    from issuer.db import create_engine_for, session_scope
    from issuer.migrate import upgrade
    from issuer.models import EmployerCreate, OfficerCreate
    from issuer.security import Passwords
    from issuer.services.employers import create_employer
    from issuer.services.officers import create_officer
    from issuer.settings import IssuerSettings

    settings = IssuerSettings.model_validate(
        {
            k.removeprefix("PERMIT_ISSUER_").lower(): json.loads(v) if v[:1] in "[{" else v
            for k, v in env.items()
            if k.startswith("PERMIT_ISSUER_")
        }
    )
    engine = create_engine_for(settings)
    now = datetime.now(UTC)
    try:
        upgrade(engine)
        names = (f"clerk.{city.key}", f"supervisor.{city.key}")
        with session_scope(engine) as session:
            secrets_ = []
            for name, role in zip(names, ("clerk", "supervisor"), strict=True):
                _, totp = create_officer(
                    session=session,
                    data=OfficerCreate(
                        username=name,
                        role=role,
                        jurisdiction=city.jurisdiction,
                        password=OFFICER_PASSWORD,
                    ),
                    passwords=Passwords(settings),
                    jurisdictions=settings.jurisdictions,
                    actor="cli",
                    now=now,
                )
                secrets_.append(totp)
            _, api_key = create_employer(
                session=session,
                data=EmployerCreate(
                    name=f"{city.authority} 示范企业", jurisdiction=city.jurisdiction
                ),
                jurisdictions=settings.jurisdictions,
                actor="cli",
                now=now,
            )
    finally:
        engine.dispose()
    return names[0], names[1], secrets_[1], api_key


def _keys(out: Path) -> tuple[Path, dict[str, Any], Any]:
    """Encrypted key rings for both cities and the anchor; returns passphrase file, JWKS, anchor."""
    from keys.ring import KeyRing
    from keys.store import FileKeyStore

    passphrase_file = out / "key-passphrase"
    passphrase_file.write_text(secrets.token_urlsafe(24))
    passphrase_file.chmod(0o600)
    passphrase = SecretStr(passphrase_file.read_text())
    jwks: dict[str, Any] = {}
    for city in CITIES:
        ring = KeyRing.generate("ES256")
        ring.save(FileKeyStore(out / "keys" / city.key, passphrase))
        jwks[city.key] = ring.jwks()
    anchor = KeyRing.generate("EdDSA")
    anchor.save(FileKeyStore(out / "keys" / "anchor", passphrase))
    return passphrase_file, jwks, anchor


def _trust_list(out: Path, bases: dict[str, str], jwks: dict[str, Any], anchor: Any) -> None:
    from keys.trustlist import build_trust_list, sign_trust_list

    entries = [
        {
            "iss": f"{bases[c.key]}/issuer",
            "name": c.authority,
            "region_code": c.region_code,
            "jwks": jwks[c.key],
            "status_list_prefixes": [f"{bases[c.key]}/status/"],
        }
        for c in CITIES
    ]
    trust = build_trust_list(entries, allow_insecure_loopback=True)
    now = int(time.time())
    (out / "trust-list.json").write_text(json.dumps(trust, ensure_ascii=False, indent=2))
    signed = sign_trust_list(
        trust, anchor.active_key, iat=now, exp=now + 30 * 86400, allow_insecure_loopback=True
    )
    (out / "trust-list.jwt").write_text(signed)
    (out / "anchor.jwks.json").write_text(json.dumps(anchor.jwks()))


def issuer_command(port: str) -> list[str]:
    """The issuer's API as production runs it (uvicorn), settings from the environment."""
    argv = [sys.executable, "-m", "uvicorn", "--factory", "issuer.api.app:create_app_from_env"]
    return [*argv, "--host", "127.0.0.1", "--port", port, "--log-level", "warning"]


def wallet_env(database: Path, trusted_issuers: list[str]) -> dict[str, str]:
    """A loopback wallet trusting ``trusted_issuers``, with cheap password hashing (a demo's
    throw-away accounts need no 64 MiB Argon2)."""
    return {
        "PERMIT_WALLET_ENVIRONMENT": "test",
        "PERMIT_WALLET_DATABASE_URL": f"sqlite:///{database}",
        "PERMIT_WALLET_ALLOW_INSECURE_LOOPBACK": "true",
        "PERMIT_WALLET_TRUSTED_ISSUERS": json.dumps(trusted_issuers),
        "PERMIT_WALLET_ARGON2_TIME_COST": "1",
        "PERMIT_WALLET_ARGON2_MEMORY_KIB": "8",
        "PERMIT_WALLET_ARGON2_PARALLELISM": "1",
    }


def wallet_command(port: str) -> list[str]:
    return [sys.executable, "-m", "permit_cli", "serve", "wallet", "--port", port]


def _verifier_env(out: Path, base: str) -> tuple[dict[str, str], str]:
    """Settings of the demo's verifier service and the bank account's key.

    One account, ``bank-demo`` with the verifier-bound ``bank`` profile: it can only open
    OpenID4VP requests and read their answers, never ``POST /v1/verify`` (DESIGN §3).
    """
    from verifier.service.accounts import hash_key, new_account_key

    key = new_account_key()
    accounts = out / "verifier-accounts.json"
    document = {
        "version": 1,
        "accounts": [
            {
                "id": "bank-demo",
                "name": "示范银行 1 号窗口",
                "profile": "bank",
                "key_sha256": hash_key(key),
            }
        ],
    }
    accounts.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    env = {
        "PERMIT_VERIFIER_ENVIRONMENT": "test",
        "PERMIT_VERIFIER_TRUST_LIST_PATH": str(out / "trust-list.jwt"),
        "PERMIT_VERIFIER_TRUST_ANCHOR_PATH": str(out / "anchor.jwks.json"),
        "PERMIT_VERIFIER_ACCOUNTS_PATH": str(accounts),
        "PERMIT_VERIFIER_PUBLIC_BASE_URL": base,
        "PERMIT_VERIFIER_ALLOW_INSECURE_LOOPBACK": "true",
    }
    return env, key


@contextmanager
def running_stack(out: Path) -> Iterator[Stack]:
    """Keys, trust list, accounts; then both issuers, the wallet and the verifier service,
    until the block ends."""
    (out / "logs").mkdir(parents=True, exist_ok=True)
    passphrase, jwks, anchor = _keys(out)
    bases = {c.key: f"http://127.0.0.1:{free_port()}" for c in CITIES}
    _trust_list(out, bases, jwks, anchor)
    wallet_base = f"http://127.0.0.1:{free_port()}"
    verifier_base = f"http://127.0.0.1:{free_port()}"
    issuers: dict[str, Issuer] = {}
    with ExitStack() as stack:
        started: list[tuple[str, subprocess.Popen[bytes]]] = []
        for city in CITIES:
            env = _issuer_env(city, out, bases[city.key], passphrase)
            clerk, supervisor, totp, employer = _accounts(city, env)
            issuers[city.key] = Issuer(
                city,
                bases[city.key],
                env["PERMIT_ISSUER_DATABASE_URL"],
                clerk,
                supervisor,
                totp,
                employer,
            )
            argv = issuer_command(bases[city.key].rsplit(":", 1)[1])
            proc = stack.enter_context(
                service_process(argv, clean_env() | env, out / "logs" / f"{city.key}.log")
            )
            started.append((f"{bases[city.key]}/.well-known/jwt-vc-issuer/issuer", proc))
        env = wallet_env(out / "wallet.db", [f"{b}/issuer" for b in bases.values()])
        argv = wallet_command(wallet_base.rsplit(":", 1)[1])
        proc = stack.enter_context(
            service_process(argv, clean_env() | env, out / "logs" / "wallet.log")
        )
        started.append((f"{wallet_base}/healthz", proc))
        verifier_env, bank_key = _verifier_env(out, verifier_base)
        argv = [sys.executable, "-m", "permit_cli", "serve", "verifier", "--no-access-log"]
        argv += ["--port", verifier_base.rsplit(":", 1)[1]]
        proc = stack.enter_context(
            service_process(argv, clean_env() | verifier_env, out / "logs" / "verifier.log")
        )
        started.append((f"{verifier_base}/healthz", proc))
        deadline = time.monotonic() + 60
        for url, process in started:
            wait_ready(url, process, deadline)
        yield Stack(
            out,
            issuers,
            wallet_base,
            out / "trust-list.jwt",
            out / "anchor.jwks.json",
            verifier_base,
            bank_key,
        )
