"""Credential-core benchmark: issuance, verification against the raw-signature ceiling,
presentation sizes and QR versions per profile, and large status lists.

    .venv/bin/python -m bench.core            # table
    .venv/bin/python -m bench.core --json     # the same figures as JSON, for tracking

The verification figure is the full pipeline (issuer signature + KB-JWT + 6 disclosures +
cached status lookup + replay cache), each presentation fresh (distinct nonce), compared with
1 / (time of two raw ES256 verifications with ``cryptography``) measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import qrcode
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from bench.claims import permit_claims
from bench.floor import floor_verify
from verifier.pipeline import Verifier
from verifier.replay import MemoryNonceCache
from verifier.status import CachedStatus, MemoryStatusCache, StatusResolver
from wire.credential import end_of_day, issue_credential
from wire.errors import Malformed
from wire.jwk import public_jwk, thumbprint
from wire.jws import ALGORITHMS, parse_compact
from wire.presentation import create_presentation
from wire.profiles import load_profiles
from wire.qrcodec import encode_qr_payload
from wire.statuslist import StatusList, build_status_list_token
from wire.trust import TrustList

ISS = "https://permits.sh.example/issuer"
STATUS_URI = "https://permits.sh.example/status/1"
SIX_DISCLOSURES = [
    "name",
    "permit_class",
    "residence_address.district",
    "endorsed_until",
    "age_over_18",
]


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "ops_per_s": len(samples) / sum(samples),
        "p50_us": statistics.median(ordered) * 1e6,
        "p99_us": ordered[int(len(ordered) * 0.99) - 1] * 1e6,
    }


def _qr_version(text: str) -> int | None:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    try:
        qr.make(fit=True)
    except ValueError:
        return None  # larger than version 40
    return int(qr.version)


def run(n: int) -> dict[str, Any]:
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    holder = ec.generate_private_key(ec.SECP256R1())
    until = date.today() + timedelta(days=300)
    now = int(time.time())
    claims = permit_claims(until)
    rng = random.Random(7)

    def issue() -> str:
        return issue_credential(
            claims=claims,
            issuer=ISS,
            signing_key=issuer_key,
            holder_jwk=public_jwk(holder),
            status_uri=STATUS_URI,
            status_idx=rng.randrange(1 << 17),
            iat=now,
            exp=end_of_day(until),
        ).serialized

    results: dict[str, Any] = {"n": n}
    results["issue"] = _summary(_timed(issue, n))
    credential = issue()
    results |= _verification(credential, issuer_key, holder, now, n)

    # --- sizes and QR versions per profile ---
    results["sizes"] = _sizes(credential, holder, now)

    # --- status lists ---
    for entries in (1_000_000, 10_000_000):
        picks = rng.sample(range(entries), entries // 100)
        start = time.perf_counter()
        big = StatusList.from_entries(entries, 2, {i: 1 + (i & 1) for i in picks})
        build_status_list_token(
            status_list=big,
            sub=STATUS_URI,
            iat=now,
            exp=now + 3600,
            ttl=300,
            key=issuer_key,
            kid=_kid(issuer_key),
        )
        results[f"status_list_{entries}_s"] = time.perf_counter() - start
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _verification(
    credential: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    holder: ec.EllipticCurvePrivateKey,
    now: int,
    n: int,
) -> dict[str, Any]:
    """The full pipeline, the raw two-signature ceiling and the floor, measured interleaved."""
    results: dict[str, Any] = {}
    trust = TrustList.from_json(
        {
            "version": 1,
            "issuers": [
                {
                    "iss": ISS,
                    "name": "上海市公安局",
                    "region_code": "310000",
                    "jwks": {"keys": [public_jwk(issuer_key) | {"kid": _kid(issuer_key)}]},
                    "status_list_prefixes": ["https://permits.sh.example/status/"],
                }
            ],
        }
    )
    status_list = StatusList.from_entries(1 << 17, 2, {})
    cache = MemoryStatusCache()
    token = build_status_list_token(
        status_list=status_list,
        sub=STATUS_URI,
        iat=now,
        exp=now + 86400,
        ttl=86400,
        key=issuer_key,
        kid=_kid(issuer_key),
    )
    cache.put(CachedStatus(STATUS_URI, token, now, 86400, now + 86400, status_list))
    resolver = StatusResolver(client=None, cache=cache, algorithms=ALGORITHMS, offline=True)
    verifier = Verifier(
        trust_list=trust,
        profiles=load_profiles(),
        status_lookup=resolver,
        nonce_cache=MemoryNonceCache(),
    )
    presentations = [
        create_presentation(
            credential, SIX_DISCLOSURES, holder_key=holder, nonce=secrets.token_urlsafe(16), iat=now
        )
        for _ in range(n)
    ]
    queue = iter(presentations)

    def verify() -> None:
        result = verifier.verify(next(queue), profile="any", now=now)
        assert result.valid, result.reason

    # The ceiling verifies the same two signatures a presentation carries (issuer JWT and
    # KB-JWT), already DER-encoded and with their keys imported: pure signature cost.
    sample = presentations[0]
    issuer_jws = parse_compact(sample.split("~")[0], Malformed)
    kb_jws = parse_compact(sample.rsplit("~", 1)[1], Malformed)
    checks = [
        (issuer_key.public_key(), _der(issuer_jws.signature), issuer_jws.signing_input),
        (holder.public_key(), _der(kb_jws.signature), kb_jws.signing_input),
    ]

    def two_raw() -> None:
        for key, signature, message in checks:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))

    # The floor (bench/floor.py): only the C-level work no CPython verifier can skip, no checks.
    floor_queue = iter(presentations)
    issuer_public = issuer_key.public_key()

    def floor() -> None:
        floor_verify(next(floor_queue), issuer_public)

    # Interleave the measurements in blocks so machine noise hits all of them alike.
    verify_samples: list[float] = []
    raw_samples: list[float] = []
    floor_samples: list[float] = []
    for _ in range(n // 100):
        verify_samples += _timed(verify, 100)
        raw_samples += _timed(two_raw, 100)
        floor_samples += _timed(floor, 100)
    results["verify"] = _summary(verify_samples)
    results["raw_two_es256"] = _summary(raw_samples)
    results["floor"] = _summary(floor_samples)
    ceiling = results["raw_two_es256"]["ops_per_s"]
    results["verify_ratio"] = results["verify"]["ops_per_s"] / ceiling
    results["floor_ratio"] = results["floor"]["ops_per_s"] / ceiling
    # Medians resist the noise of a shared machine better than means; report both.
    results["verify_ratio_p50"] = results["raw_two_es256"]["p50_us"] / results["verify"]["p50_us"]
    results["floor_ratio_p50"] = results["raw_two_es256"]["p50_us"] / results["floor"]["p50_us"]

    return results


def _sizes(
    credential: str, holder: ec.EllipticCurvePrivateKey, now: int
) -> dict[str, dict[str, Any]]:
    """Presentation size and QR version at ECC M per relying-party profile, plain and compact."""
    sizes = {}
    for name, prof in load_profiles().items():
        if name == "any":
            continue
        aud = "https://verifier.bank.example" if prof.verifier_bound else "urn:residence-permit:qr"
        text = create_presentation(
            credential,
            prof.claims,
            holder_key=holder,
            audience=aud,
            nonce=secrets.token_urlsafe(16),
            iat=now,
        )
        compact = encode_qr_payload(text)
        sizes[name] = {
            "plain_bytes": len(text.encode()),
            "plain_qr_version": _qr_version(text),
            "compact_chars": len(compact),
            "compact_qr_version": _qr_version(compact),
        }
    return sizes


def _der(raw: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def _kid(key: ec.EllipticCurvePrivateKey) -> str:
    return thumbprint(public_jwk(key))


def _print_table(r: dict[str, Any]) -> None:
    print(f"{'operation':<44}{'ops/s':>10}{'p50 µs':>10}{'p99 µs':>10}")
    for key, label in (
        ("issue", "issue credential (ES256, 16 disclosures)"),
        ("verify", "verify presentation (6 disclosures + KB)"),
        ("raw_two_es256", "raw ceiling: two ES256 verifications"),
        ("floor", "floor: C-level parsing + 2 sigs, no checks"),
    ):
        s = r[key]
        print(f"{label:<44}{s['ops_per_s']:>10.0f}{s['p50_us']:>10.0f}{s['p99_us']:>10.0f}")
    print(
        f"verify / raw ceiling ratio: {r['verify_ratio']:.2f} (p50 {r['verify_ratio_p50']:.2f})"
        "  (target >= 0.70)"
    )
    print(
        f"floor  / raw ceiling ratio: {r['floor_ratio']:.2f} (p50 {r['floor_ratio_p50']:.2f})"
        "  (the best any CPython verifier can reach; bench/floor.py)\n"
    )
    print(f"{'profile':<10}{'plain B':>9}{'plain QR v':>12}{'compact ch':>12}{'compact QR v':>14}")
    for name, s in r["sizes"].items():
        plain_v = s["plain_qr_version"] or ">40"
        print(
            f"{name:<10}{s['plain_bytes']:>9}{plain_v!s:>12}{s['compact_chars']:>12}"
            f"{s['compact_qr_version']!s:>14}"
        )
    print(
        f"\nstatus list 1,000,000 x 2 bit, 1% set: build+compress+sign "
        f"{r['status_list_1000000_s']:.3f} s"
    )
    print(
        f"status list 10,000,000 x 2 bit, 1% set: build+compress+sign "
        f"{r['status_list_10000000_s']:.3f} s  (target < 2 s)"
    )
    print(f"peak RSS: {r['peak_rss_mib']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("-n", type=int, default=2000, help="iterations per measurement")
    args = parser.parse_args()
    results = run(args.n)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print_table(results)


if __name__ == "__main__":
    main()
