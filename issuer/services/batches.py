"""Employer batch jobs (issue 3 §7): accept an upload, process it row by row, report progress.

Accepting an upload stores the ``batch`` row and the raw upload together (one transaction) and
returns at once; the rows are processed later by :class:`issuer.worker.BatchWorker`.

Processing is idempotent and resumable. Each row runs in its own transaction that locks the
``batch`` row and, together, writes the row's application (tagged ``(batch_id, batch_row)``,
unique) or its errors *and* advances the progress counters. The counters therefore always equal
what is committed, and ``done + failed`` is the cursor: a job that died (kill -9) anywhere
continues after the last committed row, and a row whose transaction was cut off left nothing
behind. Two workers on the same batch (two processes that both resumed it) serialise on the
lock; the second sees the cursor has moved and skips ahead, so no row is written or counted twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import append_event
from issuer.batchfile import (
    FieldProblem,
    RowError,
    UploadFormat,
    check_row,
    field_for,
    parse_upload,
)
from issuer.db import session_scope
from issuer.models.applications import Application, ApplicationCreate
from issuer.models.batches import (
    Batch,
    BatchApplication,
    BatchPublic,
    BatchStatus,
    BatchUpload,
)
from issuer.services.applications import submit_application
from issuer.services.employers import EmployerPrincipal
from wire.errors import Forbidden, InvalidInput, NotFound, PermitError

__all__ = [
    "MAX_PAGE",
    "MAX_STORED_ERRORS",
    "BatchJob",
    "RowHook",
    "accept_batch",
    "batch_status",
    "fail_batch",
    "finish_batch",
    "list_batches",
    "load_job",
    "process_row",
    "unfinished_batches",
]

#: Row errors kept per batch; rows failing beyond it are counted in ``failed`` only.
MAX_STORED_ERRORS: Final = 1000
MAX_PAGE: Final = 100
_OPEN_STATES: Final = ("queued", "running")

#: Called with ``(batch_id, row)`` inside a row's transaction, just before it commits. A test
#: seam: crash tests pause or kill the worker exactly there.
RowHook = Callable[[uuid.UUID, int], None]


def accept_batch(
    *,
    session: Session,
    employer: EmployerPrincipal,
    content: bytes,
    fmt: UploadFormat,
    max_rows: int,
    now: datetime,
) -> Batch:
    """Validate the upload as a whole (encoding, header, row count, jurisdiction) and queue it.

    Rows are not validated here: that is the job's work, and a bad row must not sink the rest.
    """
    upload = parse_upload(content, fmt, jurisdiction=employer.jurisdiction, max_rows=max_rows)
    stored = content.removeprefix(b"\xef\xbb\xbf")
    batch = Batch(
        employer_id=employer.employer_id,
        jurisdiction=employer.jurisdiction,
        state="queued",
        total=len(upload.rows),
        errors=[],
        created_at=now,
        updated_at=now,
    )
    session.add(batch)
    session.flush()
    session.add(
        BatchUpload(
            batch_id=batch.id,
            format=fmt.value,
            content=stored,
            sha256=hashlib.sha256(stored).hexdigest(),
        )
    )
    append_event(
        session=session,
        actor=employer.actor,
        action="batch.submit",
        refs={"batch": str(batch.id), "employer": str(employer.employer_id)},
        now=now,
    )
    return batch


def _own_batch(*, session: Session, employer: EmployerPrincipal, batch_id: uuid.UUID) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound("batch not found")
    if batch.employer_id != employer.employer_id:
        raise Forbidden("this batch belongs to another employer")
    return batch


def batch_status(
    *, session: Session, employer: EmployerPrincipal, batch_id: uuid.UUID
) -> BatchStatus:
    """Progress of one of the employer's batches (another employer's: 403, unknown: 404)."""
    batch = _own_batch(session=session, employer=employer, batch_id=batch_id)
    applications: list[BatchApplication] | None = None
    if batch.state == "done":
        rows = session.exec(
            select(Application.batch_row, Application.id, Application.outcome)
            .where(Application.batch_id == batch.id)
            .order_by(col(Application.batch_row))
        )
        applications = [
            BatchApplication(row=row or 0, application_id=app_id, outcome=outcome)
            for row, app_id, outcome in rows
        ]
    reported_rows = len({error["row"] for error in batch.errors})
    return BatchStatus(
        **BatchPublic.model_validate(batch, from_attributes=True).model_dump(),
        errors_truncated=reported_rows < batch.failed,
        applications=applications,
    )


def list_batches(
    *, session: Session, employer: EmployerPrincipal, limit: int = 20, offset: int = 0
) -> list[BatchPublic]:
    """The employer's batches, newest first."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    statement = (
        select(Batch)
        .where(Batch.employer_id == employer.employer_id)
        .order_by(col(Batch.created_at).desc(), col(Batch.id))
        .offset(max(offset, 0))
        .limit(limit)
    )
    return [
        BatchPublic.model_validate(row, from_attributes=True) for row in session.exec(statement)
    ]


# --- the job ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchJob:
    """What a worker needs to process a batch: its rows and where to continue."""

    batch_id: uuid.UUID
    employer_id: uuid.UUID
    jurisdiction: str
    format: UploadFormat
    rows: tuple[object, ...]
    next_row: int

    @property
    def actor(self) -> str:
        return f"employer:{self.employer_id}"


def unfinished_batches(*, session: Session, queued_only: bool = False) -> list[uuid.UUID]:
    """Batches to (re)start, oldest first: at start-up every open one, later only queued ones
    (a ``running`` batch may belong to a live worker in another process)."""
    states = ("queued",) if queued_only else _OPEN_STATES
    statement = select(Batch.id).where(col(Batch.state).in_(states)).order_by(col(Batch.created_at))
    return list(session.exec(statement))


def load_job(*, engine: Engine, batch_id: uuid.UUID, now: datetime) -> BatchJob | None:
    """Mark the batch ``running`` and read its upload back; None when nothing is left to do.

    A missing or altered upload fails the batch: its rows can no longer be trusted to be the
    ones the employer sent.
    """
    with session_scope(engine) as session:
        batch = session.get(Batch, batch_id, with_for_update=True)
        if batch is None or batch.state not in _OPEN_STATES:
            return None
        upload = session.get(BatchUpload, batch_id)
        content = upload.content if upload is not None else b""
        fmt = upload.format if upload is not None else ""
        try:
            if upload is None or hashlib.sha256(content).hexdigest() != upload.sha256:
                raise InvalidInput("the stored upload is missing or altered", field="body")
            parsed = parse_upload(
                content, UploadFormat(fmt), jurisdiction=batch.jurisdiction, max_rows=None
            )
            if len(parsed.rows) != batch.total:
                raise InvalidInput("the stored upload changed", field="body")
        except PermitError:
            _fail(session=session, batch=batch, now=now)
            return None
        if batch.state == "queued":
            batch.state = "running"
            batch.updated_at = now
            session.add(batch)
        return BatchJob(
            batch_id=batch.id,
            employer_id=batch.employer_id,
            jurisdiction=batch.jurisdiction,
            format=parsed.format,
            rows=parsed.rows,
            next_row=batch.done + batch.failed + 1,
        )


def process_row(
    *,
    engine: Engine,
    job: BatchJob,
    row: int,
    served: Collection[str],
    now: datetime,
    hook: RowHook | None = None,
) -> int | None:
    """Process row ``row`` (1-based) in its own transaction; returns the next row to process,
    or None when the batch is no longer running (finished, failed, or gone)."""
    checked = check_row(job.rows[row - 1], jurisdiction=job.jurisdiction)
    with session_scope(engine) as session:
        batch = session.get(Batch, job.batch_id, with_for_update=True)
        if batch is None or batch.state != "running":
            return None
        processed = batch.done + batch.failed
        if processed != row - 1:
            # Another worker moved the cursor (or this one is behind): continue from there.
            return processed + 1
        problems = (
            checked
            if isinstance(checked, list)
            else _submit(session=session, job=job, row=row, data=checked, served=served, now=now)
        )
        if problems:
            batch.failed += 1
            errors = [
                RowError(row=row, field=field_for(p.field, job.format), code=p.code).to_dict()
                for p in problems
            ]
            if len(batch.errors) + len(errors) <= MAX_STORED_ERRORS:
                batch.errors = [*batch.errors, *errors]  # a new list: JSON columns track assignment
        else:
            batch.done += 1
        batch.updated_at = now
        session.add(batch)
        session.flush()
        if hook is not None:
            hook(job.batch_id, row)
        return row + 1


def _submit(
    *,
    session: Session,
    job: BatchJob,
    row: int,
    data: ApplicationCreate,
    served: Collection[str],
    now: datetime,
) -> list[FieldProblem]:
    """Write the row's application; cross-field refusals become row problems.

    The savepoint guarantees a refused row leaves nothing in the transaction, whatever step of
    ``submit_application`` refused it.
    """
    try:
        with session.begin_nested():
            application, _token = submit_application(
                session=session, data=data, served=served, now=now, actor=job.actor
            )
            # The applicant's status token is not handed out: the employer follows the
            # application through the batch. Only its digest is stored, so it is unusable.
            application.batch_id = job.batch_id
            application.batch_row = row
            session.add(application)
            session.flush()
    except InvalidInput as exc:
        field = exc.field or "row"
        return [FieldProblem(field, "not_served" if field == "jurisdiction" else "inconsistent")]
    return []


def finish_batch(*, engine: Engine, batch_id: uuid.UUID, now: datetime) -> bool:
    """``running -> done`` once every row is processed; the upload is deleted with it."""
    with session_scope(engine) as session:
        batch = session.get(Batch, batch_id, with_for_update=True)
        if batch is None or batch.state != "running" or batch.done + batch.failed < batch.total:
            return False
        batch.state = "done"
        batch.updated_at = now
        session.add(batch)
        _drop_upload(session=session, batch_id=batch_id)
        append_event(
            session=session,
            actor="system:batch-worker",
            action="batch.finish",
            refs={"batch": str(batch.id)},
            now=now,
        )
        return True


def fail_batch(*, engine: Engine, batch_id: uuid.UUID, now: datetime) -> None:
    """Give up on a batch the worker cannot process (the job failed, not a row)."""
    with session_scope(engine) as session:
        batch = session.get(Batch, batch_id, with_for_update=True)
        if batch is not None and batch.state in _OPEN_STATES:
            _fail(session=session, batch=batch, now=now)


def _fail(*, session: Session, batch: Batch, now: datetime) -> None:
    batch.state = "failed"
    batch.updated_at = now
    session.add(batch)
    _drop_upload(session=session, batch_id=batch.id)
    append_event(
        session=session,
        actor="system:batch-worker",
        action="batch.fail",
        refs={"batch": str(batch.id)},
        now=now,
    )


def _drop_upload(*, session: Session, batch_id: uuid.UUID) -> None:
    upload = session.get(BatchUpload, batch_id)
    if upload is not None:
        session.delete(upload)
