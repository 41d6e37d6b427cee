"""The batch worker (issuer.worker): job failures, database errors, stopping, concurrent workers."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.batchfile import UploadFormat
from issuer.db import create_engine_for, session_scope
from issuer.models import AuditEvent, Batch, BatchUpload
from issuer.services.batches import accept_batch
from issuer.services.employers import EmployerPrincipal
from issuer.settings import IssuerSettings
from issuer.worker import MAX_ATTEMPTS, BatchWorker
from tests.clock import FakeClock
from tests.issuer.batch_helpers import (
    DEADLINE_SECONDS,
    EmployerHandle,
    csv_text,
    employees,
    make_employer,
    rows_written,
)
from tests.issuer.conftest import make_settings


@pytest.fixture
def employer(engine: Engine, settings: IssuerSettings, clock: FakeClock) -> EmployerHandle:
    return make_employer(engine, settings, clock)


def queue(engine: Engine, employer: EmployerHandle, clock: FakeClock, count: int) -> uuid.UUID:
    with session_scope(engine) as session:
        batch = accept_batch(
            session=session,
            employer=EmployerPrincipal(employer_id=employer.id, jurisdiction="shanghai"),
            content=csv_text(employees(count)).encode("utf-8"),
            fmt=UploadFormat.CSV,
            max_rows=count,
            now=clock(),
        )
    return batch.id


def batch_row(engine: Engine, batch_id: uuid.UUID) -> Batch:
    with Session(engine) as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        return batch


def wait_until_done(engine: Engine, batch_id: uuid.UUID) -> Batch:
    give_up = time.monotonic() + DEADLINE_SECONDS
    while (batch := batch_row(engine, batch_id)).state != "done":
        assert time.monotonic() < give_up, f"batch still {batch.state}"
        time.sleep(0.02)
    return batch


class TestJobFailures:
    @pytest.mark.parametrize("damage", ["altered", "missing"])
    def test_an_untrustworthy_upload_fails_the_job(
        self,
        engine: Engine,
        settings: IssuerSettings,
        clock: FakeClock,
        employer: EmployerHandle,
        damage: str,
    ) -> None:
        batch_id = queue(engine, employer, clock, 3)
        with session_scope(engine) as session:
            upload = session.get(BatchUpload, batch_id)
            assert upload is not None
            if damage == "missing":
                session.delete(upload)
            else:
                upload.content = upload.content.replace(b"true", b"false")
                session.add(upload)
        worker = BatchWorker(engine=engine, settings=settings, clock=clock)
        assert worker.process(batch_id) is False
        assert batch_row(engine, batch_id).state == "failed"
        assert rows_written(engine, batch_id) == {}
        with Session(engine) as session:
            assert session.get(BatchUpload, batch_id) is None
            last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
            assert last is not None
            assert last.action == "batch.fail"
        assert worker.run_pending() == 0  # a failed batch is not resumed

    def test_database_errors_pause_the_batch_then_give_up_logging_types_only(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = "postgresql://nobody:s3cret@127.0.0.1:1/none?connect_timeout=1"
        settings = make_settings(url)
        engine = create_engine_for(settings)
        worker = BatchWorker(engine=engine, settings=settings, clock=FakeClock())
        batch_id = uuid.uuid4()
        with caplog.at_level(logging.WARNING, logger="issuer.worker"):
            for _ in range(MAX_ATTEMPTS):
                assert worker.process(batch_id) is False
            assert worker.run_pending() == 0
        engine.dispose()
        messages = [record.getMessage() for record in caplog.records]
        assert f"attempt {MAX_ATTEMPTS}" in messages[MAX_ATTEMPTS - 1]
        assert any("could not be failed (OperationalError)" in m for m in messages)
        assert any("batch scan failed (OperationalError)" in m for m in messages)
        assert not any("s3cret" in m or "nobody" in m for m in messages)


class TestThread:
    def test_polling_finds_a_batch_nobody_announced(
        self, db_url: str, engine: Engine, clock: FakeClock, employer: EmployerHandle
    ) -> None:
        settings = make_settings(db_url, batch_poll_seconds=0.05)
        worker = BatchWorker(engine=engine, settings=settings, clock=clock)
        worker.start()
        try:
            batch_id = queue(engine, employer, clock, 3)  # committed, never notified
            assert wait_until_done(engine, batch_id).done == 3
        finally:
            worker.stop()
        assert not worker.is_running()

    def test_stopping_mid_batch_leaves_it_running_for_the_next_start(
        self, engine: Engine, settings: IssuerSettings, clock: FakeClock, employer: EmployerHandle
    ) -> None:
        reached, release = threading.Event(), threading.Event()

        def hook(_batch_id: uuid.UUID, row: int) -> None:
            if row == 3:
                reached.set()
                assert release.wait(DEADLINE_SECONDS)

        batch_id = queue(engine, employer, clock, 6)
        worker = BatchWorker(engine=engine, settings=settings, clock=clock, row_hook=hook)
        worker.start()  # resumes the queued batch at once
        assert reached.wait(DEADLINE_SECONDS)
        worker.stop(timeout=0)  # asks; the row in hand still commits
        assert worker.is_running()
        release.set()
        worker.stop()
        assert not worker.is_running()
        batch = batch_row(engine, batch_id)
        assert (batch.state, batch.done) == ("running", 3)
        assert BatchWorker(engine=engine, settings=settings, clock=clock).run_pending() == 1
        assert rows_written(engine, batch_id) == dict.fromkeys(range(1, 7), 1)

    def test_two_workers_on_one_batch_write_each_row_once(
        self, engine: Engine, settings: IssuerSettings, clock: FakeClock, employer: EmployerHandle
    ) -> None:
        batch_id = queue(engine, employer, clock, 30)
        start = threading.Barrier(2)
        finished: list[bool] = []

        def work() -> None:
            worker = BatchWorker(engine=engine, settings=settings, clock=clock)
            start.wait()
            finished.append(worker.process(batch_id))

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE_SECONDS)
        assert sorted(finished) == [False, True]  # one of them closes the batch
        batch = batch_row(engine, batch_id)
        assert (batch.state, batch.done, batch.failed) == ("done", 30, 0)
        assert rows_written(engine, batch_id) == dict.fromkeys(range(1, 31), 1)
