"""Append-only, hash-chained audit log (issue 3 §8).

Each event commits to its predecessor: ``hash = SHA-256(canonical JSON of seq, at, actor,
action, refs, prev_hash)``, the first event's ``prev_hash`` being :data:`GENESIS_HASH`. An
altered event no longer matches its hash, a removed one leaves a gap in ``seq`` and a broken
``prev_hash`` link, a reordered pair breaks both; removing events at the end is caught by the
chain-head row, which must name the last event. What the chain cannot show on its own is a
wholesale rewrite by someone holding the database: for that, operators record the head printed
by ``permit audit verify`` elsewhere and later pass it back as a checkpoint.

Events hold references (ids, action names), never personal data: the reason an officer gives
lives in the transition row the event references.

Appends are serialised on the chain-head row: ``SELECT ... FOR UPDATE`` on PostgreSQL, and on
SQLite the ``BEGIN IMMEDIATE`` of :mod:`issuer.db` admits one writer at a time, so concurrent
appenders queue rather than fork the chain. A transaction that records several changes appends
their events together (:func:`append_events`): one lock of the head, the events chained in
memory, one multi-row insert, one head update — the same chain as appending them one by one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from issuer.db import core_connection
from issuer.models.audit import AUDIT_HEAD_ID, GENESIS_HASH, AuditEvent, AuditHead
from wire.errors import InvalidInput, ServiceUnavailable

__all__ = [
    "GENESIS_HASH",
    "ChainEvent",
    "ChainReport",
    "NewEvent",
    "append_event",
    "append_events",
    "canonical_time",
    "event_hash",
    "verify_chain",
    "verify_stored_chain",
]

_ACTION: Final = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
_REF_KEY: Final = re.compile(r"^[a-z][a-z_]{0,31}$")
#: References are ids (UUIDs, integers); a longer value is refused as likely not a reference.
_MAX_REF_VALUE: Final = 64
_MAX_ACTOR: Final = 64


class ChainEvent(Protocol):
    """What verification reads of an event; :class:`AuditEvent` rows satisfy it."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def refs(self) -> Mapping[str, str]: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Outcome of a verification: ``ok`` or the first ``seq`` where the chain breaks."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    problem: str | None = None


def canonical_time(at: datetime) -> str:
    """``at`` in UTC with microseconds, the one spelling the hash commits to."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    refs: Mapping[str, str],
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over canonical JSON: sorted keys, no whitespace, UTF-8."""
    body = {
        "seq": seq,
        "at": canonical_time(at),
        "actor": actor,
        "action": action,
        "refs": dict(refs),
        "prev_hash": prev_hash,
    }
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def verify_chain(
    events: Iterable[ChainEvent], *, head: tuple[int, str] | None = None
) -> ChainReport:
    """Check ``events`` (in stored order) link up from the genesis; pure.

    ``head`` is the ``(seq, hash)`` the chain must end at (the chain-head row, or a checkpoint
    an operator kept), which is what reveals events removed from the end.
    """
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            problem = (
                f"events missing before seq {event.seq}"
                if event.seq > expected_seq
                else "event out of order or duplicated"
            )
            return _broken(event.seq, problem, checked, expected_seq - 1, prev)
        if event.prev_hash != prev:
            return _broken(
                event.seq, "does not follow the previous event", checked, event.seq - 1, prev
            )
        recomputed = event_hash(
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            refs=event.refs,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return _broken(event.seq, "event was altered", checked, event.seq - 1, prev)
        prev = event.hash
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    if head is not None and head != (last_seq, prev):
        return _broken(
            last_seq + 1 if head[0] > last_seq else head[0],
            "chain head does not match the last event (events removed or rewritten)",
            checked,
            last_seq,
            prev,
        )
    return ChainReport(ok=True, checked=checked, head_seq=last_seq, head_hash=prev)


def _broken(seq: int, problem: str, checked: int, head_seq: int, head_hash: str) -> ChainReport:
    return ChainReport(
        ok=False,
        checked=checked,
        head_seq=head_seq,
        head_hash=head_hash,
        broken_at=seq,
        problem=problem,
    )


# Every audited write runs these, so they are built once and executed without the ORM unit of
# work (building a statement or flushing an object costs more than running it on SQLite).
_HEADS: Final = AuditHead.metadata.tables["audit_head"]
_EVENTS: Final = AuditEvent.metadata.tables["audit_event"]
_LOCK_HEAD: Final = (
    select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.id == AUDIT_HEAD_ID).with_for_update()
)
_INSERT_EVENT: Final = insert(_EVENTS)
_MOVE_HEAD: Final = (
    update(_HEADS)
    .where(_HEADS.c.id == AUDIT_HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: who did what, to which ids. Its time is the transaction's ``now``."""

    actor: str
    action: str
    refs: Mapping[str, str]


def _checked(event: NewEvent) -> dict[str, str]:
    """The event's references, refused unless they look like ids (no personal data)."""
    if not _ACTION.match(event.action):
        raise InvalidInput("audit action must look like entity.verb", field="action")
    if not event.actor or len(event.actor) > _MAX_ACTOR:
        raise InvalidInput("audit actor is invalid", field="actor")
    clean: dict[str, str] = {}
    for key, value in event.refs.items():
        if not _REF_KEY.match(key) or not isinstance(value, str) or len(value) > _MAX_REF_VALUE:
            raise InvalidInput("audit references must be short ids", field="refs")
        clean[key] = value
    return clean


def _append(session: Session, events: Sequence[NewEvent], now: datetime) -> list[dict[str, Any]]:
    checked = [(event, _checked(event)) for event in events]
    if not checked:
        return []
    conn = core_connection(session)
    head = conn.execute(_LOCK_HEAD).one_or_none()
    if head is None:
        raise ServiceUnavailable("audit chain head is missing; run `permit db upgrade`")
    seq, prev_hash = int(head[0]), str(head[1])
    at = now.astimezone(UTC)
    rows: list[dict[str, Any]] = []
    for event, refs in checked:
        seq += 1
        digest = event_hash(
            seq=seq, at=at, actor=event.actor, action=event.action, refs=refs, prev_hash=prev_hash
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": event.actor,
                "action": event.action,
                "refs": refs,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    conn.execute(_INSERT_EVENT, rows[0] if len(rows) == 1 else rows)
    conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev_hash})
    return rows


def append_events(
    *, session: Session, events: Sequence[NewEvent], now: datetime
) -> list[tuple[int, str]]:
    """Append ``events`` in order, in the caller's transaction, after the current chain head.

    One lock of the head, one (multi-row) insert and one head update however many events: a
    transaction recording several state changes chains them in memory. Every event is checked
    before anything is written. Returns each event's ``(seq, hash)``.
    """
    return [(row["seq"], row["hash"]) for row in _append(session, events, now)]


def append_event(
    *,
    session: Session,
    actor: str,
    action: str,
    refs: Mapping[str, str],
    now: datetime,
) -> AuditEvent:
    """Append one event in the caller's transaction, after the current chain head.

    ``refs`` maps short names to ids (``{"application": "<uuid>"}``); anything that does not
    look like a reference is refused, which keeps personal data out of the log by construction.
    """
    [row] = _append(session, [NewEvent(actor, action, refs)], now)
    return AuditEvent(**row)


def verify_stored_chain(session: Session, *, batch_size: int = 1000) -> ChainReport:
    """Verify every stored event in ``seq`` order against the chain-head row."""
    head = session.exec(select(AuditHead).where(AuditHead.id == AUDIT_HEAD_ID)).one_or_none()
    if head is None:
        raise ServiceUnavailable("audit chain head is missing; run `permit db upgrade`")
    statement = (
        select(AuditEvent).order_by(col(AuditEvent.seq)).execution_options(yield_per=batch_size)
    )
    result = session.exec(statement)
    try:
        events: Iterable[AuditEvent] = result
        return verify_chain(events, head=(head.seq, head.hash))
    finally:
        # Verification may stop at the first broken event; release the server-side cursor.
        result.close()
