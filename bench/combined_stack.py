"""The stack under test of ``bench.combined_load``: issuer and verifier, configured as one.

The configuration is the one ``permit serve all`` writes and starts (:mod:`permit_cli.serve_all`:
encrypted issuer key ring and passphrase file, signed trust list naming the issuer's keys and
status prefix, the services' environments), so the load test runs what a person clicking
through the demo runs; the fresh database comes from :mod:`bench.issuer_db` (a migrated SQLite
file, or a PostgreSQL schema of its own, dropped afterwards). On top: supervisor officers
(password + TOTP, as ``permit officer create`` makes them; one session per issuer user, opened
here one after the other since an officer logs in once per shift), a landlord verifier
account, and the verifier pool — permits issued over HTTP by the real flow, each credential
checked valid by the verifier before the load starts (which also warms both services).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import Engine

from bench.combined_flows import (
    Holding,
    Officer,
    OfficerSession,
    active_permits,
    discover,
    fetch_status_list,
    issue_permit,
    verify,
)
from bench.http_steps import httpx_send
from bench.issuer_db import postgres_engine, postgres_reachable, sqlite_engine
from bench.loadgen import free_port, redis_reachable
from issuer.db import session_scope, utcnow
from issuer.models import OfficerCreate
from issuer.security import Passwords
from issuer.services.officers import create_officer
from issuer.settings import IssuerSettings
from permit_cli.serve_all import _answers, _services, _stop, prepare_config
from verifier.service.accounts import hash_key, new_account_key
from wire.profiles import load_profiles

__all__ = ["ROOT", "Stack", "start_stack"]

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
REDIS_URL = "redis://127.0.0.1:6379/0"
#: Permits issued before the load: the verifier users present their credentials.
POOL_PERMITS = 4
_START_TIMEOUT = 60.0


@dataclass
class Stack:
    tmp: Path
    locust_config: Path
    issuer_pid: int
    verifier_pid: int
    replay_cache: str
    log_paths: dict[str, Path] = field(default_factory=dict)

    def logs(self) -> list[tuple[str, str]]:
        return [(name, path.read_text(errors="replace")) for name, path in self.log_paths.items()]


def _officers(engine: Engine, settings: IssuerSettings, count: int) -> list[Officer]:
    """Supervisors of Shanghai (they approve, and with TOTP may suspend and reinstate)."""
    passwords = Passwords(settings)
    officers = []
    with session_scope(engine) as session:
        for n in range(count):
            username, password = f"load{n}.shanghai", secrets.token_urlsafe(18)
            _, secret = create_officer(
                session=session,
                data=OfficerCreate(
                    username=username,
                    role="supervisor",
                    jurisdiction="shanghai",
                    password=password,
                ),
                passwords=passwords,
                jurisdictions=settings.jurisdictions,
                actor="cli",
                now=utcnow(),
            )
            officers.append(Officer(username, password, secret))
    return officers


@contextmanager
def _database(db: str) -> Iterator[tuple[Engine, IssuerSettings]]:
    if db == "postgres":
        if not postgres_reachable():
            raise SystemExit("PostgreSQL at 127.0.0.1:5432/test is unreachable")
        with postgres_engine() as pair:
            yield pair
    else:
        with sqlite_engine() as pair:
            yield pair


@contextmanager
def _running(tmp: Path, services: dict[str, Any]) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Start each service (output to ``<name>.log``), wait until all answer, stop them after."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    with ExitStack() as logs:
        try:
            for name, service in services.items():
                log = logs.enter_context((tmp / f"{name}.log").open("wb"))
                processes[name] = subprocess.Popen(
                    service.argv, env=service.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
                )
            deadline = time.monotonic() + _START_TIMEOUT
            for name, service in services.items():
                while not _answers(service.health):
                    if processes[name].poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"{name} did not start; see its log")
                    time.sleep(0.2)
            yield processes
        finally:
            _stop(processes)


def _issuer_setup(
    issuer_base: str, credential_issuer: str, officers: list[Officer]
) -> tuple[list[Holding], list[str], list[dict[str, Any]]]:
    """The verifier pool's permits through the real flow (their credentials and permit ids),
    and an open session of every other officer, one after the other."""
    holdings = []
    with httpx.Client(base_url=issuer_base, timeout=30, trust_env=False) as client:
        send = httpx_send(client)
        endpoints = discover(send, credential_issuer)
        session = OfficerSession(send, officers[0])
        for serial in range(POOL_PERMITS):
            holder = ec.generate_private_key(ec.SECP256R1())
            issued = issue_permit(send, endpoints, session, serial=serial, holder=holder)
            holdings.append(Holding(issued.credential, holder))
        fetch_status_list(send, issued.status_path)
        permits = active_permits(send, session)  # nothing else has been issued yet
        sessions = [OfficerSession(send, officer).to_json() for officer in officers[1:]]
    return holdings, permits, sessions


@contextmanager
def start_stack(
    tmp: Path,
    *,
    db: str,
    replay_cache: str,
    users: int,
    issuer_pacing: float,
    verifier_pacing: float,
) -> Iterator[Stack]:
    """Everything the load needs, running; writes the locust configuration into ``tmp``.

    ``replay_cache``: ``redis`` (what several workers need), ``memory`` (one worker's dict:
    it keeps every nonce until it holds a million, so it grows through any short run), or
    ``auto`` (Redis when it answers).
    """
    ports = (free_port(), free_port(), free_port())
    config = tmp / "config"
    paths = prepare_config(config, host=HOST, issuer_port=ports[0])
    by_name = {s.name: s for s in _services(config, paths, HOST, ports)}
    issuer, verifier = by_name["issuer"], by_name["verifier"]
    key = new_account_key()
    account = {"id": "landlord-1", "name": "房东", "profile": "landlord"}
    account["key_sha256"] = hash_key(key)
    (tmp / "accounts.json").write_text(json.dumps({"version": 1, "accounts": [account]}))
    verifier.env["PERMIT_VERIFIER_ACCOUNTS_PATH"] = str(tmp / "accounts.json")
    verifier.env.pop("REDIS_URL", None)
    if replay_cache == "auto":
        replay_cache = "redis" if redis_reachable() else "memory"
    if replay_cache == "redis":
        verifier.env["PERMIT_VERIFIER_REDIS_URL"] = REDIS_URL
        verifier.env["PERMIT_VERIFIER_REDIS_PREFIX"] = f"bench:combined:{secrets.token_hex(4)}:"
    verifier.argv.append("--no-access-log")  # the verification records are still written
    claims = list(load_profiles()["landlord"].claims)
    with _database(db) as (engine, settings):
        issuer.env["PERMIT_ISSUER_DATABASE_URL"] = settings.database_url
        officers = _officers(engine, settings, users + 1)
        with _running(tmp, {"issuer": issuer, "verifier": verifier}) as processes:
            issuer_base = issuer.health.split("/.well-known/", 1)[0]
            credential_issuer = issuer.env["PERMIT_ISSUER_ISSUER_URL"]
            holdings, protected, sessions = _issuer_setup(issuer_base, credential_issuer, officers)
            verifier_base = verifier.health.removesuffix("/healthz")
            with httpx.Client(base_url=verifier_base, timeout=30, trust_env=False) as client:
                for holding in holdings:  # also fetches and caches the issuer's status list
                    verify(httpx_send(client), key, holding.present(tuple(claims)), name="check")
            locust_config = tmp / "locust-config.json"
            locust_config.touch(mode=0o600)  # officers' passwords and holder keys
            locust_config.write_text(
                json.dumps(
                    {
                        "issuer": {
                            "host": issuer_base,
                            "credential_issuer": credential_issuer,
                            "users": users,
                            "pacing_s": issuer_pacing,
                            "sessions": sessions,
                            "protected_permits": protected,
                            "serial_base": POOL_PERMITS,
                        },
                        "verifier": {
                            "host": verifier_base,
                            "users": users,
                            "pacing_s": verifier_pacing,
                            "account_key": key,
                            "claims": claims,
                            "holdings": [h.to_json() for h in holdings],
                            "replay_every": 50,
                        },
                    }
                )
            )
            yield Stack(
                tmp,
                locust_config,
                processes["issuer"].pid,
                processes["verifier"].pid,
                replay_cache,
                {"issuer": tmp / "issuer.log", "verifier": tmp / "verifier.log"},
            )
