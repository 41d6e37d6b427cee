"""Issuer benchmark: issuance throughput with the database, and rebuilding a huge status list.

    .venv/bin/python -m bench.issuer              # tables
    .venv/bin/python -m bench.issuer --json       # the same figures as JSON
    .venv/bin/python -m bench.issuer -n 2000 --chunk 500 --no-postgres

Everything runs the service layer in-process — exactly what the HTTP routes call, one
transaction per route call, committed — on a fresh SQLite file (WAL, ``synchronous=NORMAL``:
the production settings of :mod:`issuer.db`) and, when reachable, on PostgreSQL at
127.0.0.1:5432/test (both from :mod:`bench.issuer_db`). Applications are submitted beforehand
(intake is not issuance). Every issued credential is verified afterwards (outside the timing,
:mod:`bench.issuer_verify`) with the real verification pipeline, status indices are checked
unique and the audit chain is verified, so a figure can only come from complete, valid
issuance.

**Single-request flow** (``permits/s``): one permit through the wallet's four requests, each its
own transaction: approve (+ credential offer) → token (redeem the pre-authorized code and PIN)
→ nonce → credential (verify the key proof, create the permit and its number, allocate a random
status index, sign the SD-JWT VC, write the rows and audit events). The wallet's proof signing
is inside the timed loop. ``credential/s`` is the credential transaction alone, timed within
the same run.

**Bulk issuance** (``permits/s``): an officer approves a finished employer batch,
``issuer.services.bulk.approve_batch`` as ``POST /v1/batches/{id}/approve`` runs it, ``--chunk``
applications per transaction (the endpoint's default is 100, its maximum 500): approval and
issuance transitions, permit and number, offer, random status index, signed paper credential,
audit events — all or nothing per chunk.

**Status list** times rebuilding and signing a 1,000,000-entry list (2 bits) from the
database with 1 % of the entries non-zero, i.e. what the publisher does after a change: read
the entries, pack, DEFLATE, sign, store.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bench.applicants import application as _application
from bench.issuer_db import postgres_engine, postgres_reachable, sqlite_engine
from bench.issuer_verify import verify_issued
from issuer.authz import Principal
from issuer.db import session_scope
from issuer.models import Batch, Employer, Role, StatusList, metadata
from issuer.services.applications import submit_application
from issuer.services.bulk import approve_batch
from issuer.services.offers import approve_with_offer
from issuer.services.oid4vci import issue_credentials, new_nonce, redeem_pre_authorized_code
from issuer.services.status_tokens import rebuild_list
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.jwk import PrivateKey
from wire.oid4vci import (
    CredentialOffer,
    CredentialRequest,
    TokenResponse,
    build_proof_jwt,
    parse_offer_uri,
)
from wire.oid4vci import TokenRequest as WireTokenRequest
from wire.statuslist import StatusList as WireStatusList
from wire.statuslist import build_status_list_token

START = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)


class Clock:
    """Advances one millisecond per call: deterministic, and every step is 'later'."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def issue_one(
    *,
    engine: Engine,
    settings: IssuerSettings,
    ring: KeyRing,
    principal: Principal,
    application_id: uuid.UUID,
    holder: ec.EllipticCurvePrivateKey,
    clock: Clock,
) -> tuple[str, float]:
    """One permit through the four issuance transactions; returns the SD-JWT VC and the
    seconds spent in the last one (the credential service: proof, permit, signature, rows)."""
    with session_scope(engine) as session:
        _, offer = approve_with_offer(
            session=session,
            principal=principal,
            settings=settings,
            application_id=application_id,
            reason="benchmark",
            now=clock(),
        )
    wire_offer = parse_offer_uri(offer.offer_uri, allow_insecure_loopback=True)
    assert isinstance(wire_offer, CredentialOffer)
    request = WireTokenRequest(wire_offer.pre_authorized_code, tx_code=offer.tx_code)
    with session_scope(engine) as session:
        token = redeem_pre_authorized_code(
            session=session, request=request, settings=settings, now=clock()
        )
    assert isinstance(token, TokenResponse)
    with session_scope(engine) as session:
        nonce = new_nonce(session=session, settings=settings, now=clock()).c_nonce
    now = clock()
    proof = build_proof_jwt(
        holder_key=holder, audience=settings.issuer_url, nonce=nonce, iat=int(now.timestamp())
    )
    body = json.dumps(CredentialRequest((proof,)).to_json()).encode()
    started = time.perf_counter()
    with session_scope(engine) as session:
        response = issue_credentials(
            session=session,
            access_token=token.access_token,
            body=body,
            settings=settings,
            ring=ring,
            now=now,
        )
    return response.credentials[0], time.perf_counter() - started


def _submit(
    engine: Engine, settings: IssuerSettings, clock: Clock, n: int, batch_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Submit ``n`` applications (rows of batch ``batch_id`` if given); not timed."""
    with session_scope(engine) as session:
        ids = []
        for i in range(n):
            application, _ = submit_application(
                session=session, data=_application(i), served=settings.jurisdictions, now=clock()
            )
            if batch_id is not None:
                application.batch_id = batch_id
                application.batch_row = i + 1
                session.add(application)
            ids.append(application.id)
    return ids


def bench_issuance(engine: Engine, settings: IssuerSettings, n: int) -> dict[str, Any]:
    ring = KeyRing.generate()
    principal = Principal(uuid.uuid4(), Role.CLERK, "shanghai", mfa=False)
    clock = Clock()
    ids = _submit(engine, settings, clock, n, None)
    holders = [ec.generate_private_key(ec.SECP256R1()) for _ in range(min(n, 64))]
    samples: list[float] = []
    credential_step = 0.0
    issued: list[tuple[str, PrivateKey | None]] = []
    started = time.perf_counter()
    for i, application_id in enumerate(ids):
        t0 = time.perf_counter()
        holder = holders[i % len(holders)]
        credential, step = issue_one(
            engine=engine,
            settings=settings,
            ring=ring,
            principal=principal,
            application_id=application_id,
            holder=holder,
            clock=clock,
        )
        samples.append(time.perf_counter() - t0)
        credential_step += step
        issued.append((credential, holder))
    elapsed = time.perf_counter() - started
    samples.sort()
    return {
        "permits": n,
        "seconds": round(elapsed, 3),
        "permits_per_second": round(n / elapsed, 1),
        "median_ms": round(statistics.median(samples) * 1000, 3),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1] * 1000, 3),
        "credential_service_per_second": round(n / credential_step, 1),
        **verify_issued(engine, settings, ring, issued, clock()),
    }


def bench_bulk(engine: Engine, settings: IssuerSettings, n: int, chunk: int) -> dict[str, Any]:
    """An employer batch of ``n`` applications approved ``chunk`` at a time (timed)."""
    ring = KeyRing.generate()
    principal = Principal(uuid.uuid4(), Role.CLERK, "shanghai", mfa=False)
    clock = Clock()
    now = clock()
    with session_scope(engine) as session:
        employer = Employer(
            name="bench", jurisdiction="shanghai", api_key_hash=uuid.uuid4().hex, created_at=now
        )
        session.add(employer)
        session.flush()
        batch = Batch(
            employer_id=employer.id,
            jurisdiction="shanghai",
            state="done",
            total=n,
            done=n,
            errors=[],
            created_at=now,
            updated_at=now,
        )
        session.add(batch)
        batch_id = batch.id
    _submit(engine, settings, clock, n, batch_id)
    samples: list[float] = []
    issued: list[tuple[str, PrivateKey | None]] = []
    started = time.perf_counter()
    remaining = n
    while remaining:
        t0 = time.perf_counter()
        with session_scope(engine) as session:
            result = approve_batch(
                session=session,
                principal=principal,
                settings=settings,
                ring=ring,
                batch_id=batch_id,
                reason="benchmark",
                limit=chunk,
                now=clock(),
            )
        samples.append(time.perf_counter() - t0)
        issued += [(item.paper_credential, None) for item in result.issued]
        remaining = result.remaining
    elapsed = time.perf_counter() - started
    if len(issued) != n:
        raise AssertionError(f"{len(issued)} of {n} permits issued")
    return {
        "permits": n,
        "chunk": chunk,
        "transactions": len(samples),
        "seconds": round(elapsed, 3),
        "permits_per_second": round(n / elapsed, 1),
        "median_chunk_ms": round(statistics.median(samples) * 1000, 1),
        **verify_issued(engine, settings, ring, issued, clock()),
    }


def bench_status_list(
    engine: Engine, settings: IssuerSettings, *, size: int = 1_000_000
) -> dict[str, Any]:
    ring = KeyRing.generate()
    now = START
    rng = secrets.SystemRandom()
    revoked = rng.sample(range(size), size // 100)
    with session_scope(engine) as session:
        session.add(
            StatusList(
                id=10_000, uri="http://127.0.0.1:8000/status/10000", size=size, created_at=now
            )
        )
        session.flush()
        session.execute(
            insert(metadata.tables["status_allocation"]),
            [
                {"list_id": 10_000, "idx": idx, "status": 1 + idx % 2, "allocated_at": now}
                for idx in revoked
            ],
        )
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        rebuild_list(session=session, list_id=10_000, ring=ring, settings=settings, now=now)
    with_db = time.perf_counter() - t0

    entries = [(idx, 1 + idx % 2) for idx in revoked]
    t0 = time.perf_counter()
    token = build_status_list_token(
        status_list=WireStatusList.from_entries(size, 2, entries),
        sub="https://permits.sh.example/status/10000",
        iat=int(now.timestamp()),
        exp=int(now.timestamp()) + 86_400,
        ttl=300,
        key=ring.active_key,
        kid=ring.active_kid,
    )
    pure = time.perf_counter() - t0
    return {
        "entries": size,
        "non_zero": len(revoked),
        "rebuild_with_db_ms": round(with_db * 1000, 1),
        "build_and_sign_ms": round(pure * 1000, 1),
        "token_chars": len(token),
    }


def run(n: int, *, chunk: int, postgres: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"issuance": {}, "bulk": {}, "status_list": {}}
    backends = [("sqlite", sqlite_engine)]
    if postgres and postgres_reachable():
        backends.append(("postgresql", postgres_engine))
    for name, factory in backends:
        with factory() as (engine, settings):
            results["issuance"][name] = bench_issuance(engine, settings, n)
        with factory() as (engine, settings):
            results["bulk"][name] = bench_bulk(engine, settings, n, chunk)
            results["status_list"][name] = bench_status_list(engine, settings)
    return results


def _print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    issuance = Table(
        title="Single-request flow: approve+offer → token → nonce → credential "
        "(4 transactions per permit, in-process)"
    )
    columns = ("backend", "permits", "seconds", "permits/s", "median ms", "p99 ms", "credential/s")
    for column in columns:
        issuance.add_column(column, justify="right")
    for backend, r in results["issuance"].items():
        issuance.add_row(
            backend,
            str(r["permits"]),
            f"{r['seconds']:.2f}",
            f"{r['permits_per_second']:.0f}",
            f"{r['median_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            f"{r['credential_service_per_second']:.0f}",
        )
    bulk = Table(
        title="Bulk issuance: employer batch approval (approve_batch, one transaction per chunk; "
        "paper credential + offer per permit)"
    )
    for column in ("backend", "permits", "chunk", "seconds", "permits/s", "ms per chunk"):
        bulk.add_column(column, justify="right")
    for backend, r in results["bulk"].items():
        bulk.add_row(
            backend,
            str(r["permits"]),
            str(r["chunk"]),
            f"{r['seconds']:.2f}",
            f"{r['permits_per_second']:.0f}",
            f"{r['median_chunk_ms']:.0f}",
        )
    status = Table(title="1,000,000-entry status list (1 % non-zero): rebuild and sign")
    for column in ("backend", "with database ms", "build + sign ms", "token chars"):
        status.add_column(column, justify="right")
    for backend, r in results["status_list"].items():
        status.add_row(
            backend,
            f"{r['rebuild_with_db_ms']:.0f}",
            f"{r['build_and_sign_ms']:.0f}",
            str(r["token_chars"]),
        )
    console = Console(width=120)
    console.print(issuance)
    console.print(bulk)
    console.print(status)
    checked = sum(r["verified"] for part in ("issuance", "bulk") for r in results[part].values())
    console.print(
        f"Verified afterwards: {checked} credentials with the verification pipeline, unique "
        "status entries, intact audit chains."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="permits to issue per backend")
    parser.add_argument(
        "--chunk", type=int, default=100, help="applications per bulk transaction (1-500)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    results = run(args.n, chunk=args.chunk, postgres=not args.no_postgres)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print_table(results)


if __name__ == "__main__":
    main()
