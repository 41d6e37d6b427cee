"""Wall-clock latency of ``permit verify`` as a fresh process (start-up included).

    .venv/bin/python -m bench.cli_latency [-n 20] [--json]

Sets up an issuer, a trust list and a cached status list in a temporary directory, then runs
``permit verify --offline`` on distinct fresh presentations (text and QR image) and reports
percentiles. Offline keeps the network out of the figure; the status token is re-verified
from the cache directory on every run, as in real use.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import qrcode
from cryptography.hazmat.primitives.asymmetric import ec

from bench.claims import permit_claims
from keys.ring import KeyRing
from keys.trustlist import build_trust_list
from verifier.status import CachedStatus, DirectoryStatusCache
from wire.credential import end_of_day, issue_credential
from wire.jwk import public_jwk
from wire.presentation import create_presentation
from wire.profiles import load_profiles
from wire.qrcodec import encode_qr_payload
from wire.statuslist import StatusList, build_status_list_token

ISS = "https://permits.sh.example/issuer"
STATUS_URI = "https://permits.sh.example/status/1"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p90_ms": ordered[max(0, int(len(ordered) * 0.9) - 1)] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def run(n: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="permit-cli-bench-"))
    ring = KeyRing.generate("ES256")
    holder = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    until = date.today() + timedelta(days=200)
    trust = build_trust_list([{
        "iss": ISS, "name": "上海市公安局", "region_code": "310000", "jwks": ring.jwks(),
        "status_list_prefixes": ["https://permits.sh.example/status/"]}])  # fmt: skip
    (work / "trust.json").write_text(json.dumps(trust))
    status = StatusList.from_entries(1 << 17, 2, {})
    token = build_status_list_token(status_list=status, sub=STATUS_URI, iat=now,
                                    exp=now + 86400, ttl=3600, key=ring.active_key,
                                    kid=ring.active_kid)  # fmt: skip
    DirectoryStatusCache(work / "cache" / "status").put(
        CachedStatus(STATUS_URI, token, now, 3600, now + 86400, status)
    )
    credential = issue_credential(
        claims=permit_claims(until), issuer=ISS, signing_key=ring.active_key,
        holder_jwk=public_jwk(holder), status_uri=STATUS_URI, status_idx=7, iat=now,
        exp=end_of_day(until),
    ).serialized  # fmt: skip
    paths = load_profiles()["landlord"].claims
    args = ["--trust-list", str(work / "trust.json"), "--cache-dir", str(work / "cache"),
            "--offline", "--profile", "landlord", "--json"]  # fmt: skip
    results: dict[str, Any] = {"n": n}
    for kind in ("text", "image"):
        samples = []
        for i in range(n):
            presentation = create_presentation(
                credential, paths, holder_key=holder, nonce=secrets.token_urlsafe(16),
                iat=int(time.time()),
            )  # fmt: skip
            source = presentation
            if kind == "image":
                qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
                qr.add_data(encode_qr_payload(presentation))
                qr.make(fit=True)
                source = str(work / f"qr-{i}.png")
                qr.make_image().save(source)
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "permit_cli", "verify", source, *args],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            samples.append(time.perf_counter() - start)
            if proc.returncode != 0:
                raise SystemExit(f"verify failed: {proc.stdout} {proc.stderr}")
        results[kind] = _percentiles(samples)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="permit verify wall-clock latency")
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.n)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'permit verify (fresh process)':<34}{'p50 ms':>9}{'p90 ms':>9}{'max ms':>9}")
    for kind in ("text", "image"):
        r = results[kind]
        print(f"{kind + ' input':<34}{r['p50_ms']:>9.0f}{r['p90_ms']:>9.0f}{r['max_ms']:>9.0f}")


if __name__ == "__main__":
    main()
