"""Verifier service load test: verifications/s and latency over HTTP on loopback.

    .venv/bin/python -m bench.verifier_load                 # 1 and 2 workers, 15 s each
    .venv/bin/python -m bench.verifier_load --duration 10 --runs 1,2r --json

What it does, all on 127.0.0.1 and bounded in time:

1. A federation in a temporary directory: an ES256 issuer, a signed trust list and its anchor,
   one landlord account, and the issuer's status list served by a loopback HTTP server with
   ``ttl`` one day, so each worker fetches it once and then verifies from its cache.
2. The in-process ceiling: :meth:`verifier.pipeline.Verifier.verify` in a loop (landlord
   profile, memory replay cache, cached status) over fresh presentations.
3. For each configuration, ``permit serve verifier`` (``verifier.service_cli``) as a
   subprocess with 1 or 2 uvicorn workers (2 workers share the replay cache in Redis, which
   the service requires), a warm-up, then a fixed-duration run of a hand-written asyncio
   HTTP/1.1 keep-alive client (``--connections`` concurrent connections; a client this small
   leaves the machine's CPU to the server). Every request carries a distinct pre-generated
   presentation (fresh nonce), so none is ``replayed``; each answer is checked to be valid.

Nothing is left behind: the subprocesses are terminated by their own handles and the Redis keys
(a per-run prefix) expire with the replay window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from bench.claims import permit_claims
from bench.loadgen import (
    child_cpu_seconds,
    cpu_seconds,
    free_port,
    load,
    redis_reachable,
    request_bytes,
    summary,
)
from keys.ring import KeyRing
from keys.trustlist import build_trust_list, sign_trust_list
from verifier.pipeline import Verifier
from verifier.replay import MemoryNonceCache
from verifier.service.accounts import hash_key, new_account_key
from verifier.status import MemoryStatusCache, StatusResolver
from wire.credential import end_of_day, issue_credential
from wire.jwk import public_jwk, thumbprint
from wire.jws import ALGORITHMS
from wire.presentation import create_presentation
from wire.profiles import load_profiles
from wire.statuslist import StatusList, build_status_list_token
from wire.trust import TrustList

ROOT = Path(__file__).resolve().parents[1]
LANDLORD = load_profiles()["landlord"].claims
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class World:
    tmp: Path
    credential: str
    holder: ec.EllipticCurvePrivateKey
    trust: TrustList
    key: str
    env: dict[str, str]
    status_base: str

    def presentations(self, n: int) -> list[str]:
        now = int(time.time())
        return [
            create_presentation(
                self.credential,
                LANDLORD,
                holder_key=self.holder,
                nonce=secrets.token_urlsafe(16),
                iat=now,
            )
            for _ in range(n)
        ]


@contextmanager
def status_server(routes: dict[str, bytes]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/statuslist+jwt")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def build_world(tmp: Path, base: str, routes: dict[str, bytes]) -> World:
    now = int(time.time())
    ring = KeyRing.generate("ES256")
    holder = ec.generate_private_key(ec.SECP256R1())
    anchor = ec.generate_private_key(ec.SECP256R1())
    iss, status_uri = f"{base}issuer", f"{base}status/1"
    entry = {
        "iss": iss,
        "name": "上海市公安局",
        "region_code": "310000",
        "jwks": ring.jwks(),
        "status_list_prefixes": [f"{base}status/"],
    }
    document = build_trust_list([entry], allow_insecure_loopback=True)
    signed = sign_trust_list(
        document, anchor, iat=now - 5, exp=now + 86_400, allow_insecure_loopback=True
    )
    (tmp / "trust-list.jwt").write_text(signed)
    anchor_jwk = public_jwk(anchor) | {"kid": thumbprint(public_jwk(anchor))}
    (tmp / "anchor.jwk").write_text(json.dumps(anchor_jwk))
    key = new_account_key()
    account = {
        "id": "landlord-1",
        "name": "房东",
        "profile": "landlord",
        "key_sha256": hash_key(key),
    }
    (tmp / "accounts.json").write_text(json.dumps({"version": 1, "accounts": [account]}))
    idx = 4242
    token = build_status_list_token(
        status_list=StatusList.from_entries(1 << 17, 2, {}),
        sub=status_uri,
        iat=now,
        exp=now + 2 * 86_400,
        ttl=86_400,
        key=ring.active_key,
        kid=ring.active_kid,
    )
    routes["/status/1"] = token.encode()
    until = date.today() + timedelta(days=200)
    credential = issue_credential(
        claims=permit_claims(until),
        issuer=iss,
        signing_key=ring.active_key,
        holder_jwk=public_jwk(holder),
        status_uri=status_uri,
        status_idx=idx,
        iat=now - 10,
        exp=end_of_day(until),
    ).serialized
    env = {
        "PERMIT_VERIFIER_ENVIRONMENT": "development",
        "PERMIT_VERIFIER_TRUST_LIST_PATH": str(tmp / "trust-list.jwt"),
        "PERMIT_VERIFIER_TRUST_ANCHOR_PATH": str(tmp / "anchor.jwk"),
        "PERMIT_VERIFIER_ACCOUNTS_PATH": str(tmp / "accounts.json"),
        "PERMIT_VERIFIER_ALLOW_INSECURE_LOOPBACK": "true",
    }
    trust = TrustList.from_json(document, allow_insecure_loopback=True)
    return World(tmp, credential, holder, trust, key, env, base)


def in_process(world: World, seconds: float) -> dict[str, Any]:
    """The ceiling: the same pipeline, no HTTP (status fetched once, then cached)."""
    with httpx.Client(trust_env=False) as client:
        resolver = StatusResolver(client=client, cache=MemoryStatusCache(), algorithms=ALGORITHMS)
        verifier = Verifier(
            trust_list=world.trust,
            profiles=load_profiles(),
            status_lookup=resolver,
            nonce_cache=MemoryNonceCache(),
            allow_insecure_loopback=True,
        )
        for text in world.presentations(50):  # warm-up, and the one status fetch
            verifier.verify(text, profile="landlord", now=int(time.time()))
        latencies: list[float] = []
        batch = world.presentations(2000)
        cpu = 0.0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            if not batch:
                paused = time.perf_counter()
                batch = world.presentations(2000)
                start += time.perf_counter() - paused  # generation is not verification time
            text = batch.pop()
            t0, c0 = time.perf_counter(), time.process_time()
            result = verifier.verify(text, profile="landlord", now=int(time.time()))
            latencies.append(time.perf_counter() - t0)
            cpu += time.process_time() - c0
            assert result.valid, result.reason
        elapsed = time.perf_counter() - start
    figures: dict[str, Any] = summary(latencies, len(latencies), elapsed)
    figures["server_cpu_us_per_verification"] = 1e6 * cpu / len(latencies)
    return figures


@contextmanager
def server(world: World, workers: int, redis_url: str | None) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = {**os.environ, **world.env}
    env.pop("REDIS_URL", None)
    if redis_url is not None:
        env["PERMIT_VERIFIER_REDIS_URL"] = redis_url
        env["PERMIT_VERIFIER_REDIS_PREFIX"] = f"bench:{secrets.token_hex(4)}:"
    command = [
        sys.executable,
        "-c",
        "from verifier.service_cli import serve_verifier; serve_verifier()",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    log_path = world.tmp / f"server-{workers}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:  # every worker has started (else the first one would take all connections)
            started = log_path.read_bytes().count(b"Application startup complete")
            if started >= workers:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.HTTPError:
                    pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"verifier did not start; see {log.name}")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def over_http(
    world: World,
    *,
    workers: int,
    redis_url: str | None,
    seconds: float,
    connections: int,
    expected_rate: float,
) -> dict[str, Any]:
    with server(world, workers, redis_url) as (port, pid):
        warm = [request_bytes(port, world.key, p) for p in world.presentations(400)]
        asyncio.run(load(port, warm, 30, connections))
        count = int(expected_rate * seconds) + 100
        bodies = [request_bytes(port, world.key, p) for p in world.presentations(count)]
        cpu_before, children_before = cpu_seconds(pid), child_cpu_seconds(pid)
        latencies, outcome, elapsed = asyncio.run(load(port, bodies, seconds, connections))
        cpu = cpu_seconds(pid) - cpu_before
        children = child_cpu_seconds(pid)
    figures: dict[str, Any] = summary(latencies, len(latencies), elapsed)
    figures["server_cpu_us_per_verification"] = 1e6 * cpu / max(1, len(latencies))
    if workers > 1:  # how evenly the connections spread over the workers
        spent = [children[p] - children_before.get(p, 0.0) for p in children]
        total = max(sum(spent), 1e-9)
        # uvicorn's supervisor also has a helper child that does no work: leave it out.
        figures["worker_cpu_split"] = [round(c / total, 2) for c in spent if c / total > 0.02]
    figures["rejected_or_failed"] = outcome["other"]
    figures["ran_out_of_presentations"] = len(latencies) == len(bodies)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per HTTP run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--runs",
        default="1,1r,2r",
        help="which runs: 1 = one worker (memory), 1r = one worker (Redis), 2r = two (Redis)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    duration = min(max(args.duration, 2.0), 60.0)
    routes: dict[str, bytes] = {}
    results: dict[str, Any] = {"machine_cpus": os.cpu_count(), "duration_s": duration}
    with tempfile.TemporaryDirectory() as tmp, status_server(routes) as base:
        world = build_world(Path(tmp), base, routes)
        ceiling = in_process(world, min(duration, 5.0))
        results["in_process"] = ceiling
        rate = ceiling["verifications_per_s"]
        wanted = set(args.runs.split(","))
        runs: list[tuple[str, int, str | None]] = []
        if "1" in wanted:
            runs.append(("1 worker (memory)", 1, None))
        if redis_reachable():
            if "1r" in wanted:
                runs.append(("1 worker (redis)", 1, REDIS_URL))
            if "2r" in wanted:
                runs.append(("2 workers (redis)", 2, REDIS_URL))
        elif wanted & {"1r", "2r"}:
            results["note"] = "Redis on 127.0.0.1:6379 unreachable: the Redis runs are skipped"
        for label, workers, redis_url in runs:
            results[label] = over_http(
                world,
                workers=workers,
                redis_url=redis_url,
                seconds=duration,
                connections=args.connections,
                expected_rate=rate * (0.8 if workers == 1 else 1.2),
            )
            results[label]["share_of_in_process"] = results[label]["verifications_per_s"] / rate
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"verifier load test: {results['machine_cpus']} CPUs, {duration:.0f} s per HTTP run")
    print(f"{'run':<22}{'verif/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs':>9}{'share':>8}")
    for label, figures in results.items():
        if not isinstance(figures, dict):
            continue
        share = figures.get("share_of_in_process")
        print(
            f"{label:<22}{figures['verifications_per_s']:>10.0f}{figures['p50_ms']:>9.2f}"
            f"{figures['p99_ms']:>9.2f}{figures['server_cpu_us_per_verification']:>9.0f}"
            f"{'' if share is None else f'{share:>8.0%}'}"
        )
    for label, figures in results.items():
        if isinstance(figures, dict) and "worker_cpu_split" in figures:
            print(f"{label}: CPU split over the workers {figures['worker_cpu_split']}")
    if "note" in results:
        print(results["note"])


if __name__ == "__main__":
    main()
