"""Hash-chained audit log: pure verification, storage, append-only triggers, concurrency."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from issuer.audit import (
    GENESIS_HASH,
    NewEvent,
    append_event,
    append_events,
    canonical_time,
    event_hash,
    verify_chain,
    verify_stored_chain,
)
from issuer.db import session_scope
from issuer.models.audit import AuditEvent, AuditHead
from tests.clock import START
from wire.errors import InvalidInput, ServiceUnavailable


@dataclasses.dataclass(frozen=True)
class Event:
    seq: int
    at: datetime
    actor: str
    action: str
    refs: dict[str, str]
    prev_hash: str
    hash: str


def chain(length: int) -> list[Event]:
    events: list[Event] = []
    prev = GENESIS_HASH
    for seq in range(1, length + 1):
        at = START + timedelta(seconds=seq)
        refs = {"application": f"app-{seq}"}
        digest = event_hash(
            seq=seq, at=at, actor="system", action="application.submit", refs=refs, prev_hash=prev
        )
        events.append(Event(seq, at, "system", "application.submit", refs, prev, digest))
        prev = digest
    return events


# --- pure verification ---------------------------------------------------------------------


def test_intact_chain_verifies() -> None:
    events = chain(5)
    report = verify_chain(events, head=(5, events[-1].hash))
    assert report.ok
    assert (report.checked, report.head_seq, report.head_hash) == (5, 5, events[-1].hash)


def test_empty_chain_verifies_against_genesis_head() -> None:
    assert verify_chain([], head=(0, GENESIS_HASH)).ok


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "officer:someone-else"},
        {"action": "permit.revoke"},
        {"refs": {"application": "app-other"}},
        {"at": START + timedelta(days=1)},
    ],
)
def test_altered_event_is_detected(change: dict[str, object]) -> None:
    events = chain(5)
    events[2] = dataclasses.replace(events[2], **change)  # type: ignore[arg-type]
    report = verify_chain(events)
    assert not report.ok
    assert report.broken_at == 3
    assert report.problem == "event was altered"
    assert report.checked == 2


def test_altered_event_with_recomputed_hash_breaks_the_next_link() -> None:
    events = chain(5)
    e = dataclasses.replace(events[2], actor="officer:x")
    e = dataclasses.replace(
        e,
        hash=event_hash(
            seq=e.seq, at=e.at, actor=e.actor, action=e.action, refs=e.refs, prev_hash=e.prev_hash
        ),
    )
    events[2] = e
    report = verify_chain(events)
    assert (report.ok, report.broken_at, report.problem) == (
        False,
        4,
        "does not follow the previous event",
    )


def test_removed_event_is_detected() -> None:
    events = chain(5)
    del events[1]
    report = verify_chain(events)
    assert (report.ok, report.broken_at) == (False, 3)
    assert report.problem == "events missing before seq 3"


def test_removed_first_event_is_detected() -> None:
    report = verify_chain(chain(3)[1:])
    assert (report.ok, report.broken_at) == (False, 2)


def test_removed_tail_is_detected_by_the_head() -> None:
    events = chain(5)
    report = verify_chain(events[:4], head=(5, events[-1].hash))
    assert not report.ok
    assert report.broken_at == 5
    assert "chain head" in (report.problem or "")


def test_reordered_events_are_detected() -> None:
    events = chain(5)
    events[1], events[2] = events[2], events[1]
    report = verify_chain(events)
    assert (report.ok, report.broken_at) == (False, 3)
    assert report.problem == "events missing before seq 3"


def test_renumbered_swap_is_detected() -> None:
    """Swapping two events' contents but keeping the seq order (what an UPDATE could do)."""
    events = chain(5)
    a, b = events[1], events[2]
    events[1] = dataclasses.replace(b, seq=2)
    events[2] = dataclasses.replace(a, seq=3)
    report = verify_chain(events)
    assert (report.ok, report.broken_at) == (False, 2)


def test_duplicate_event_is_detected() -> None:
    events = chain(3)
    report = verify_chain([*events, events[-1]])
    assert (report.ok, report.broken_at, report.problem) == (
        False,
        3,
        "event out of order or duplicated",
    )


def test_canonical_time_is_utc_with_microseconds() -> None:
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2026, 3, 2, 10, 0, 0, 5, tzinfo=shanghai)
    assert canonical_time(at) == "2026-03-02T02:00:00.000005Z"
    with pytest.raises(ValueError):
        canonical_time(datetime(2026, 3, 2))  # naive on purpose


def test_hash_is_over_canonical_json() -> None:
    first = event_hash(
        seq=1, at=START, actor="a", action="x.y", refs={"b": "1", "a": "2"}, prev_hash=GENESIS_HASH
    )
    second = event_hash(
        seq=1, at=START, actor="a", action="x.y", refs={"a": "2", "b": "1"}, prev_hash=GENESIS_HASH
    )
    assert first == second
    assert len(first) == 64


# --- storage ---------------------------------------------------------------------------------


def append(engine: Engine, n: int, *, start: datetime = START) -> None:
    for i in range(n):
        with session_scope(engine) as session:
            append_event(
                session=session,
                actor="system",
                action="application.submit",
                refs={"application": f"app-{i}"},
                now=start + timedelta(seconds=i),
            )


def stored_report(engine: Engine) -> tuple[bool, int | None, str | None]:
    with Session(engine) as session:
        report = verify_stored_chain(session)
    return report.ok, report.broken_at, report.problem


def test_appended_events_verify_and_round_trip_times(engine: Engine) -> None:
    append(engine, 4, start=START.replace(microsecond=123456))
    with Session(engine) as session:
        events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))
        head = session.get(AuditHead, 1)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[0].at == START.replace(microsecond=123456)
    assert events[0].at.tzinfo is not None
    assert head is not None
    assert (head.seq, head.hash) == (4, events[-1].hash)
    assert stored_report(engine) == (True, None, None)


def test_database_refuses_update_and_delete(engine: Engine) -> None:
    append(engine, 2)
    for statement in (
        "UPDATE audit_event SET actor = 'officer:x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert stored_report(engine) == (True, None, None)


def tamper(engine: Engine, statements: list[str]) -> None:
    """Run ``statements`` past the append-only triggers, as someone with DDL or superuser rights
    could: verification must still catch them. (PostgreSQL: replica mode skips triggers for this
    transaction only; SQLite: the per-test database copy loses its triggers.)"""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        for statement in statements:
            conn.execute(text(statement))


@pytest.mark.parametrize(
    ("statement", "broken_at"),
    [
        pytest.param("UPDATE audit_event SET actor = 'officer:x' WHERE seq = 2", 2, id="alter"),
        pytest.param(
            'UPDATE audit_event SET refs = \'{"application": "app-9"}\' WHERE seq = 3',
            3,
            id="alter-refs",
        ),
        pytest.param("DELETE FROM audit_event WHERE seq = 2", 3, id="delete"),
        pytest.param("DELETE FROM audit_event WHERE seq = 4", 4, id="delete-tail"),
        pytest.param(
            # Swap seq 2 and 3 through a free number (primary keys are checked per row).
            "UPDATE audit_event SET seq = 100 WHERE seq = 2; "
            "UPDATE audit_event SET seq = 2 WHERE seq = 3; "
            "UPDATE audit_event SET seq = 3 WHERE seq = 100",
            2,
            id="reorder",
        ),
    ],
)
def test_tampering_in_the_database_is_detected(
    engine: Engine, statement: str, broken_at: int
) -> None:
    append(engine, 4)
    tamper(engine, statement.split("; "))
    ok, seq, _problem = stored_report(engine)
    assert (ok, seq) == (False, broken_at)


def test_refs_must_be_references(engine: Engine) -> None:
    with session_scope(engine) as session:
        bad: list[dict[str, Any]] = [{"application": "x" * 65}, {"Name": "1"}, {"application": 5}]
        for refs in bad:
            with pytest.raises(InvalidInput) as caught:
                append_event(
                    session=session,
                    actor="system",
                    action="application.submit",
                    refs=refs,
                    now=START,
                )
            assert caught.value.field == "refs"
        with pytest.raises(InvalidInput):
            append_event(session=session, actor="system", action="Submit", refs={}, now=START)
        with pytest.raises(InvalidInput):
            append_event(session=session, actor="", action="a.b", refs={}, now=START)


def test_missing_head_is_a_clear_error(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    with session_scope(engine) as session, pytest.raises(ServiceUnavailable):
        append_event(session=session, actor="system", action="a.b", refs={}, now=START)


def test_a_rolled_back_append_leaves_no_trace(engine: Engine) -> None:
    append(engine, 1)

    def append_then_fail() -> None:
        with session_scope(engine) as session:
            append_event(session=session, actor="system", action="a.b", refs={}, now=START)
            raise RuntimeError("abort the unit of work")

    with pytest.raises(RuntimeError):
        append_then_fail()
    append(engine, 1)
    assert stored_report(engine) == (True, None, None)
    with Session(engine) as session:
        assert len(list(session.exec(select(AuditEvent)))) == 2


def test_concurrent_appends_never_fork_the_chain(engine: Engine) -> None:
    threads, per_thread = 8, 10
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with session_scope(engine) as session:
                    append_event(
                        session=session,
                        actor=f"officer:{n}",
                        action="application.approve",
                        refs={"application": f"{n}-{i}"},
                        now=datetime.now(UTC),
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        report = verify_stored_chain(session)
    assert report.ok
    assert report.checked == threads * per_thread


def test_appending_together_chains_like_appending_one_by_one(engine: Engine) -> None:
    events = [
        NewEvent("wallet", "application.issue", {"application": "a-1", "transition": "7"}),
        NewEvent("wallet", "permit.create", {"permit": "p-1", "offer": "o-1"}),
        NewEvent("officer:1", "batch.approve", {"batch": "b-1"}),
    ]
    with session_scope(engine) as session:
        chained = append_events(session=session, events=events, now=START)
        append_event(session=session, actor="system", action="a.b", refs={}, now=START)
    with Session(engine) as session:
        stored = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))
        assert verify_stored_chain(session).ok
    assert [(e.seq, e.hash) for e in stored[:3]] == chained
    prev = GENESIS_HASH
    for event, row in zip(events, stored, strict=False):
        expected = event_hash(
            seq=row.seq,
            at=START,
            actor=event.actor,
            action=event.action,
            refs=event.refs,
            prev_hash=prev,
        )
        assert (row.prev_hash, row.hash, row.refs) == (prev, expected, dict(event.refs))
        prev = row.hash
    assert stored[3].prev_hash == stored[2].hash


def test_appending_together_checks_every_event_before_writing(engine: Engine) -> None:
    with pytest.raises(InvalidInput), session_scope(engine) as session:
        append_events(
            session=session,
            events=[
                NewEvent("wallet", "permit.create", {"permit": "p-1"}),
                NewEvent("wallet", "permit.create", {"permit": "李梅" * 40}),
            ],
            now=START,
        )
    with Session(engine) as session:
        assert list(session.exec(select(AuditEvent))) == []
