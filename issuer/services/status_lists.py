"""Token Status Lists (DESIGN §4, issue 3 §6): allocating entries and changing them.

**Allocation.** Every credential gets an index drawn uniformly at random from a large list
(2^17 entries by default), so the index says nothing about when or to whom it was issued
(herd privacy, draft-ietf-oauth-status-list §12.5). The draw is inserted as a
``status_allocation (list_id, idx)`` row with ``ON CONFLICT DO NOTHING``: a clash, even with a
concurrent transaction in another process, simply draws again, and since rows are never deleted
an index is never reused. A list takes draws until ``status_list_fill`` of it is allocated
(the collision rate stays below 1 in 10), then the next list is opened; ``allocated`` is
incremented with a conditional ``UPDATE``, which also serialises concurrent allocators on the
list row for the rest of their transaction. Several entries (a wallet's batch of copies, a bulk
issuance) are reserved with one such ``UPDATE`` and drawn as a set: one multi-row insert per
round, the clashes drawn again, so a thousand entries cost a handful of statements.

**Changing entries.** :func:`set_entries` only marks the affected lists ``dirty``; signing and
serving the tokens is :mod:`issuer.services.status_tokens`' work, never done per request.

Lock order: a transaction that also appends audit events takes the audit head first (see
:mod:`issuer.audit`); the list row comes after it, so the two can never deadlock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import CursorResult, Float, Integer, Table, bindparam, func, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from issuer.db import core_connection
from issuer.models._base import metadata
from issuer.models.status import StatusAllocation, StatusList
from issuer.settings import IssuerSettings
from wire.errors import ServiceUnavailable

__all__ = [
    "STATUS_BITS",
    "StatusRef",
    "allocate_index",
    "allocate_indices",
    "insert_ignore",
    "list_uri",
    "set_entries",
    "status_list_prefix",
]

#: Two bits per entry: VALID 0, INVALID 1, SUSPENDED 2 (DESIGN §4).
STATUS_BITS: Final = 2
#: Draws before giving up on a list; at 90 % fill the chance of 512 clashes is below 1e-23.
_MAX_DRAWS: Final = 512

RandBelow = Callable[[int], int]


@dataclass(frozen=True, slots=True)
class StatusRef:
    """Where a credential's status lives: the ``status.status_list`` claim (DESIGN §2)."""

    list_id: int
    idx: int
    uri: str


def status_list_prefix(settings: IssuerSettings) -> str:
    """The prefix every list URI starts with: the trust list's ``status_list_prefixes`` entry."""
    return settings.public_base_url.rstrip("/") + "/status/"


def list_uri(settings: IssuerSettings, list_id: int) -> str:
    """The URI of list ``list_id``: its token's ``sub`` and the credentials' ``uri``."""
    return f"{status_list_prefix(settings)}{list_id}"


def insert_ignore(session: Session, table: Table, values: dict[str, Any], keys: list[str]) -> bool:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING``; True when the row was inserted.

    On PostgreSQL a clash with an uncommitted insert waits for that transaction, so the answer
    is always final; SQLite admits one writer at a time anyway.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        # RETURNING, not rowcount: psycopg reports no rowcount for this statement.
        .returning(table.c[keys[0]])
    )
    return session.execute(statement).first() is not None


_LISTS: Final = metadata.tables["status_list"]
_ALLOCATIONS: Final = metadata.tables["status_allocation"]
#: Reserve ``n`` entries of the first list where all ``n`` stay below the fill mark, in one
#: statement; built once (hot path) with the fill as a parameter. PostgreSQL re-checks the fill
#: mark after waiting for a concurrent reserver's row lock, so a list never takes more than
#: its share. For ``n = 1`` the condition is the plain ``allocated < size * fill``.
_RESERVE: Final = (
    update(_LISTS)
    .where(
        _LISTS.c.id
        == select(_LISTS.c.id)
        .where(
            _LISTS.c.allocated + bindparam("n", type_=Integer()) - 1
            < _LISTS.c.size * bindparam("fill", type_=Float())
        )
        .order_by(_LISTS.c.id)
        .limit(1)
        .scalar_subquery()
    )
    .where(
        _LISTS.c.allocated + bindparam("n", type_=Integer()) - 1
        < _LISTS.c.size * bindparam("fill", type_=Float())
    )
    .values(allocated=_LISTS.c.allocated + bindparam("n", type_=Integer()))
    .returning(_LISTS.c.id, _LISTS.c.size, _LISTS.c.uri)
)
#: ``INSERT ... ON CONFLICT DO NOTHING RETURNING idx`` of allocations, per dialect; with several
#: rows it is one multi-row statement and returns the indices that were free.
_DRAW: Final = {
    "postgresql": pg_insert(_ALLOCATIONS)
    .on_conflict_do_nothing(index_elements=["list_id", "idx"])
    .returning(_ALLOCATIONS.c.idx),
    "sqlite": sqlite_insert(_ALLOCATIONS)
    .on_conflict_do_nothing(index_elements=["list_id", "idx"])
    .returning(_ALLOCATIONS.c.idx),
}
#: Consecutive failed reservations (a new list was opened each time) before giving up.
_MAX_RESERVE_FAILURES: Final = 8


def _open_next_list(session: Session, settings: IssuerSettings, now: datetime) -> None:
    """Create the next list. Two processes may race for the same id: the loser's insert does
    nothing, and its next reservation lands in the winner's list."""
    highest = session.exec(select(func.coalesce(func.max(StatusList.id), 0))).one()
    next_id = int(highest or 0) + 1
    insert_ignore(
        session,
        _LISTS,
        {
            "id": next_id,
            "uri": list_uri(settings, next_id),
            "bits": STATUS_BITS,
            "size": settings.status_list_size,
            "dirty": True,
            "version": 0,
            "allocated": 0,
            "created_at": now,
        },
        ["id"],
    )


def _draw(
    conn: Connection,
    statement: Any,
    *,
    list_id: int,
    size: int,
    count: int,
    now: datetime,
    randbelow: RandBelow,
) -> list[int]:
    """Insert ``count`` fresh random entries of list ``list_id``; a clash draws again.

    Each round draws as many distinct candidates as are still missing (never one tried
    before) and inserts them in one statement; the entries that were taken already come back
    missing from ``RETURNING`` and are drawn again. Candidates are inserted in index order, so
    concurrent inserters (other lists' reservers cannot collide; this list's row is locked)
    would queue in one order.
    """
    taken: list[int] = []
    tried: set[int] = set()
    budget = _MAX_DRAWS * count
    while len(taken) < count:
        candidates: list[int] = []
        while len(candidates) < count - len(taken):
            if budget == 0:
                raise ServiceUnavailable("the status list is too full to draw an index")
            budget -= 1
            idx = randbelow(size)
            if idx not in tried:
                tried.add(idx)
                candidates.append(idx)
        if len(candidates) == 1:
            row = {"list_id": list_id, "idx": candidates[0], "status": 0, "allocated_at": now}
            if conn.execute(statement, row).first() is not None:
                taken.append(candidates[0])
            continue
        rows = [
            {"list_id": list_id, "idx": idx, "status": 0, "allocated_at": now}
            for idx in sorted(candidates)
        ]
        free = {int(idx) for idx in conn.execute(statement, rows).scalars()}
        # Keep the draw order (the indices' order says nothing, but tests replay draws).
        taken.extend(idx for idx in candidates if idx in free)
    return taken


def allocate_indices(
    *,
    session: Session,
    settings: IssuerSettings,
    now: datetime,
    count: int,
    randbelow: RandBelow = secrets.randbelow,
) -> list[StatusRef]:
    """Allocate ``count`` fresh, never-used entries (VALID), each drawn uniformly at random.

    Reserves as many as fit below the fill mark of the first open list with one statement and
    inserts them with one statement per round of draws, so a batch costs a few statements
    rather than two per entry. When a list has fewer places left than asked for, the request
    is halved until it fits (so lists still fill up to the mark); when none is left the next
    list is opened. See the module docstring.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    conn = core_connection(session)
    draw = _DRAW[conn.dialect.name]
    refs: list[StatusRef] = []
    want = count
    failures = 0
    while len(refs) < count:
        want = min(want, count - len(refs))
        reserved = conn.execute(_RESERVE, {"fill": settings.status_list_fill, "n": want}).first()
        if reserved is None:
            if want > 1:
                want = (want + 1) // 2  # the first open list may have fewer places left
                continue
            failures += 1
            if failures > _MAX_RESERVE_FAILURES:
                raise ServiceUnavailable("no status list with free entries could be reserved")
            _open_next_list(session, settings, now)  # every list is full, or there is none
            want = count - len(refs)
            continue
        failures = 0
        list_id, size, uri = int(reserved[0]), int(reserved[1]), str(reserved[2])
        indices = _draw(
            conn, draw, list_id=list_id, size=size, count=want, now=now, randbelow=randbelow
        )
        refs.extend(StatusRef(list_id, idx, uri) for idx in indices)
        want = count - len(refs)
    return refs


def allocate_index(
    *,
    session: Session,
    settings: IssuerSettings,
    now: datetime,
    randbelow: RandBelow = secrets.randbelow,
) -> StatusRef:
    """Allocate a fresh, never-used entry (VALID) in an open list; see the module docstring."""
    [ref] = allocate_indices(
        session=session, settings=settings, now=now, count=1, randbelow=randbelow
    )
    return ref


def set_entries(
    *, session: Session, entries: Sequence[tuple[int, int]], value: int, now: datetime
) -> int:
    """Set the given ``(list_id, idx)`` entries to ``value``; mark changed lists dirty.

    Returns how many entries changed. Lists whose entries already held ``value`` are left
    alone, so a no-op never triggers a rebuild.
    """
    del now  # entries carry no timestamp; kept for the keyword-only service shape
    if not entries:
        return 0
    pairs = tuple_(col(StatusAllocation.list_id), col(StatusAllocation.idx))
    changed_lists = {
        int(list_id)
        for list_id in session.exec(
            select(col(StatusAllocation.list_id))
            .where(pairs.in_(list(entries)))
            .where(col(StatusAllocation.status) != value)
            .distinct()
        )
    }
    if not changed_lists:
        return 0
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(StatusAllocation)
            .where(pairs.in_(list(entries)))
            .where(col(StatusAllocation.status) != value)
            .values(status=value)
        ),
    )
    session.execute(
        update(StatusList)
        .where(col(StatusList.id).in_(sorted(changed_lists)))
        .values(dirty=True, version=col(StatusList.version) + 1)
    )
    return int(result.rowcount)
