"""Eight OS processes issuing at once against PostgreSQL (issue 3 acceptance).

Each process runs the issuance services end to end with several key proofs per request, so
status indices are drawn concurrently from the same lists, a list fills up and the next one is
opened under contention, and permit numbers come from the same counter. Afterwards no index is
shared, no permit is lost, every counter matches the rows, and the audit chain is intact (a
deadlock or a lost update would show up as a worker error or a mismatch).
"""

from __future__ import annotations

import multiprocessing
import queue
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from issuer.audit import verify_stored_chain
from issuer.db import create_engine_for
from issuer.models import Credential, Permit, StatusAllocation, StatusList
from tests.issuer.concurrency_worker import run_worker, settings_for

pytestmark = pytest.mark.postgres

PROCESSES = 8
PERMITS_EACH = 40
COPIES = 3  # 8 x 40 x 3 = 960 entries: more than 90 % of a 1,024-entry list


def test_eight_processes_never_share_an_index_or_lose_a_permit(postgres_schema_url: str) -> None:
    from tests.issuer.conftest import _truncate_postgres

    _truncate_postgres(postgres_schema_url)
    url = postgres_schema_url
    engine = create_engine_for(settings_for(url))
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out: Any = context.Queue()
    workers = [
        context.Process(
            target=run_worker,
            args=(url, n, PERMITS_EACH, COPIES, start, out),
            name=f"issuer-{n}",
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        start.set()
        reports = []
        for _ in workers:
            try:
                reports.append(out.get(timeout=300))
            except queue.Empty:
                pytest.fail("a worker did not report within 300 s")
    finally:
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    errors = [r["error"] for r in reports if r["error"]]
    assert errors == []
    assert sum(r["issued"] for r in reports) == PROCESSES * PERMITS_EACH * COPIES

    try:
        with Session(engine) as session:
            permits = session.exec(select(func.count()).select_from(Permit)).one()
            numbers = session.exec(select(func.count(func.distinct(Permit.permit_no)))).one()
            pairs = session.exec(select(Credential.status_list_id, Credential.status_idx)).all()
            allocations = session.exec(select(func.count()).select_from(StatusAllocation)).one()
            lists = session.exec(select(StatusList)).all()
            assert verify_stored_chain(session).ok
    finally:
        engine.dispose()
    assert permits == numbers == PROCESSES * PERMITS_EACH
    assert len(pairs) == len(set(pairs)) == PROCESSES * PERMITS_EACH * COPIES
    assert allocations == len(pairs)
    assert sum(status_list.allocated for status_list in lists) == allocations
    assert len(lists) >= 2
    assert all(status_list.allocated <= 0.9 * status_list.size + 1 for status_list in lists)
