"""A small world for verifier tests: an issuer, a trust list file, a loopback status server."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from keys.ring import KeyRing
from keys.trustlist import build_trust_list
from wire.credential import end_of_day, issue_credential
from wire.jwk import public_jwk
from wire.presentation import create_presentation
from wire.profiles import load_profiles
from wire.statuslist import StatusList, build_status_list_token

STATUS_SIZE = 1024


@dataclass
class StatusServer:
    """Serves status tokens; every request is recorded so tests can assert fetches."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    base: str = ""


@contextmanager
def serve_status(state: StatusServer) -> Iterator[str]:
    """Serve ``state.routes`` on a loopback port, recording requests; yields the base URL.

    Requests are handled on threads (verifications may fetch concurrently), so recording and
    route lookup hold one lock.
    """
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                state.requests.append(self.path)
                code, headers, body = state.routes.get(self.path, (404, {}, b""))
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    server_state = StatusServer()
    with serve_status(server_state) as base:
        server_state.base = base
        yield server_state


@dataclass
class World:
    """An issuer with a published status list and a trust list file naming it."""

    server: StatusServer
    ring: KeyRing
    holder: ec.EllipticCurvePrivateKey
    trust_path: Path
    cache_dir: Path
    credential: str
    idx: int
    now: int

    @property
    def iss(self) -> str:
        return f"{self.server.base}issuer"

    @property
    def status_uri(self) -> str:
        return f"{self.server.base}status/1"

    def publish(self, value: int, *, content_type: str = "application/statuslist+jwt") -> str:
        status = StatusList.from_entries(STATUS_SIZE, 2, {self.idx: value})
        token = build_status_list_token(
            status_list=status,
            sub=self.status_uri,
            iat=self.now,
            exp=self.now + 3600,
            ttl=300,
            key=self.ring.active_key,
            kid=self.ring.active_kid,
        )
        self.server.routes["/status/1"] = (200, {"Content-Type": content_type}, token.encode())
        return token

    def present(self, profile: str = "landlord", *, iat: int | None = None) -> str:
        paths = load_profiles()[profile].claims
        return create_presentation(
            self.credential,
            paths,
            holder_key=self.holder,
            nonce=secrets.token_urlsafe(16),
            iat=self.now if iat is None else iat,
        )

    def args(self, *extra: str) -> list[str]:
        return [
            "--trust-list",
            str(self.trust_path),
            "--cache-dir",
            str(self.cache_dir),
            "--allow-insecure-loopback",
            "--now",
            str(self.now),
            "--json",
            *extra,
        ]


def make_claims(until: date) -> dict[str, Any]:
    return {
        "permit_no": "3101152026000123",
        "name": "王小明",
        "sex": "M",
        "birth_date": "1990-01-02",
        "id_number": "11010519900102123X",
        "hukou_address": "河南省郑州市金水区",
        "residence_address": {"region_code": "310115", "district": "浦东新区", "street": "一号"},
        "permit_class": "standard",
        "issuing_authority": "上海市公安局浦东分局",
        "first_issued": "2024-03-01",
        "endorsed_until": until.isoformat(),
        "age_over_18": True,
        "age_over_60": False,
    }


@pytest.fixture
def world(status_server: StatusServer, tmp_path: Path) -> World:
    ring = KeyRing.generate("ES256")
    holder = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    until = date.today() + timedelta(days=200)
    trust = build_trust_list(
        [
            {
                "iss": f"{status_server.base}issuer",
                "name": "上海市公安局",
                "region_code": "310000",
                "jwks": ring.jwks(),
                "status_list_prefixes": [f"{status_server.base}status/"],
            }
        ],
        allow_insecure_loopback=True,
    )
    trust_path = tmp_path / "trust-list.json"
    trust_path.write_text(json.dumps(trust))
    idx = secrets.randbelow(STATUS_SIZE)
    credential = issue_credential(
        claims=make_claims(until),
        issuer=f"{status_server.base}issuer",
        signing_key=ring.active_key,
        holder_jwk=public_jwk(holder),
        status_uri=f"{status_server.base}status/1",
        status_idx=idx,
        iat=now - 10,
        exp=end_of_day(until),
    ).serialized
    world = World(status_server, ring, holder, trust_path, tmp_path / "cache", credential, idx, now)
    world.publish(0)
    return world
