"""The real services as separate processes on loopback: issuer (uvicorn) and wallet (CLI).

Used by the end-to-end and browser tests. The issuer runs with an ephemeral signing key; its
public keys come from its own JWT VC Issuer Metadata and go into a trust list file for
``permit verify``. An officer is created in the issuer database before the issuer starts.
Processes are started, awaited and stopped (by their own handles) as the demo does it
(:mod:`permit_cli.demo.processes`); their output goes to ``issuer.log`` / ``wallet.log`` in the
working directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from issuer.db import create_engine_for as issuer_engine
from issuer.db import session_scope as issuer_session
from issuer.migrate import upgrade as issuer_upgrade
from issuer.models import OfficerCreate
from issuer.security import Passwords as IssuerPasswords
from issuer.services.officers import create_officer
from issuer.settings import IssuerSettings
from permit_cli.demo.processes import clean_env, free_port, service_process, wait_ready
from permit_cli.demo.stack import issuer_command, wallet_command, wallet_env
from tests.issuer.helpers import application_body

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
OFFICER = ("clerk.e2e", "correct horse battery staple")
HOLDER_PASSWORD = "correct horse battery"


@dataclass
class Stack:
    issuer_url: str
    issuer_base: str
    wallet_base: str
    trust_list: Path
    workdir: Path

    def issue_offer(self) -> tuple[str, str | None]:
        """Submit an application, approve it as a clerk: the offer URI and its PIN."""
        with httpx.Client(base_url=self.issuer_base, timeout=30) as http:
            receipt = http.post("/v1/applications", json=application_body())
            receipt.raise_for_status()
            token = http.post(
                "/v1/auth/token", data={"username": OFFICER[0], "password": OFFICER[1]}
            )
            token.raise_for_status()
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            approved = http.post(
                f"/v1/applications/{receipt.json()['application_id']}/approve",
                json={"reason": "documents checked at the counter"},
                headers=headers,
            )
            approved.raise_for_status()
            offer = approved.json()["offer"]
            return offer["offer_uri"], offer["tx_code"]

    def holder(self, http: httpx.Client, username: str) -> dict[str, str]:
        """Register and log in a holder at the wallet: the Authorization header."""
        http.post(
            "/v1/accounts",
            json={"username": username, "password": HOLDER_PASSWORD, "display_name": "李梅"},
        ).raise_for_status()
        login = http.post(
            "/v1/auth/login", data={"username": username, "password": HOLDER_PASSWORD}
        )
        login.raise_for_status()
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    def verify(self, source: str, *args: str) -> tuple[int, dict[str, Any]]:
        """``permit verify SOURCE --json`` in its own process."""
        command = [
            PYTHON,
            "-m",
            "permit_cli",
            "verify",
            source,
            "--trust-list",
            str(self.trust_list),
            "--allow-insecure-loopback",
            "--cache-dir",
            str(self.workdir / "verify-cache"),
            "--json",
            *args,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
        )
        return done.returncode, json.loads(done.stdout or "{}")


@contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    issuer_port, wallet_port = free_port(), free_port()
    issuer_base = f"http://127.0.0.1:{issuer_port}"
    issuer_url = f"{issuer_base}/issuer"
    issuer_env = {
        "PERMIT_ISSUER_ENVIRONMENT": "test",
        "PERMIT_ISSUER_DATABASE_URL": f"sqlite:///{workdir / 'issuer.db'}",
        "PERMIT_ISSUER_ISSUER_URL": issuer_url,
        "PERMIT_ISSUER_PUBLIC_BASE_URL": issuer_base,
        "PERMIT_ISSUER_ARGON2_TIME_COST": "1",
        "PERMIT_ISSUER_ARGON2_MEMORY_KIB": "8",
        "PERMIT_ISSUER_ARGON2_PARALLELISM": "1",
    }
    settings = IssuerSettings.model_validate(
        {k.removeprefix("PERMIT_ISSUER_").lower(): v for k, v in issuer_env.items()}
    )
    engine = issuer_engine(settings)
    issuer_upgrade(engine)
    with issuer_session(engine) as session:
        create_officer(
            session=session,
            data=OfficerCreate(
                username=OFFICER[0], role="clerk", jurisdiction="shanghai", password=OFFICER[1]
            ),
            passwords=IssuerPasswords(settings),
            jurisdictions=settings.jurisdictions,
            actor="cli",
            now=datetime.now(UTC),
        )
    engine.dispose()
    with ExitStack() as processes:
        issuer = processes.enter_context(
            service_process(
                issuer_command(str(issuer_port)),
                clean_env() | issuer_env,
                workdir / "issuer.log",
                cwd=ROOT,
            )
        )
        wallet = processes.enter_context(
            service_process(
                wallet_command(str(wallet_port)),
                clean_env() | wallet_env(workdir / "wallet.db", [issuer_url]),
                workdir / "wallet.log",
                cwd=ROOT,
            )
        )
        deadline = time.monotonic() + 60
        metadata = f"{issuer_base}/.well-known/jwt-vc-issuer/issuer"
        wait_ready(metadata, issuer, deadline)
        wait_ready(f"http://127.0.0.1:{wallet_port}/healthz", wallet, deadline)
        jwks = httpx.get(metadata, timeout=10).json()["jwks"]
        trust_list = workdir / "trust-list.json"
        trust_list.write_text(
            json.dumps(
                {
                    "version": 1,
                    "issuers": [
                        {
                            "iss": issuer_url,
                            "name": "上海市公安局",
                            "region_code": "310000",
                            "jwks": jwks,
                            "status_list_prefixes": [f"{issuer_base}/status/"],
                        }
                    ],
                }
            ),
            "utf-8",
        )
        yield Stack(issuer_url, issuer_base, f"http://127.0.0.1:{wallet_port}", trust_list, workdir)
