"""Token Status Lists (DESIGN §4, issue 3 §6): allocating entries, changing them, signing lists.

**Allocation.** Every credential gets an index drawn uniformly at random from a large list
(2^17 entries by default), so the index says nothing about when or to whom it was issued
(herd privacy, draft-ietf-oauth-status-list §12.5). The draw is inserted as a
``status_allocation (list_id, idx)`` row with ``ON CONFLICT DO NOTHING``: a clash, even with a
concurrent transaction in another process, simply draws again, and since rows are never deleted
an index is never reused. A list takes draws until ``status_list_fill`` of it is allocated
(the collision rate stays below 1 in 10), then the next list is opened; ``allocated`` is
incremented with a conditional ``UPDATE``, which also serialises concurrent allocators on the
list row for the rest of their transaction.

**Publishing.** Changing an entry only marks the list ``dirty``. The signed token is rebuilt
from the database by :func:`rebuild_list` — right after the committing request, by the
background refresher, or on the first ``GET`` that finds it stale — never per request: a
fresh token is served from the ``status_list`` row as stored, with its ETag.

Lock order: a transaction that also appends audit events takes the audit head first (see
:mod:`issuer.audit`); the list row comes after it, so the two can never deadlock.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import CursorResult, Float, Table, bindparam, func, or_, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from issuer.models._base import metadata
from issuer.models.status import StatusAllocation, StatusList
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.errors import NotFound, ServiceUnavailable
from wire.statuslist import StatusList as WireStatusList
from wire.statuslist import build_status_list_token

__all__ = [
    "STATUS_BITS",
    "ServedToken",
    "StatusRef",
    "allocate_index",
    "insert_ignore",
    "list_uri",
    "lists_needing_rebuild",
    "needs_rebuild",
    "rebuild_list",
    "served_token",
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


@dataclass(frozen=True, slots=True)
class ServedToken:
    """A signed status list token as served, with its cache validator and lifetime."""

    token: str
    etag: str
    max_age: int


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
#: Reserve one entry of the first list below the fill mark, in one statement; built once (hot
#: path) with the fill as a parameter. PostgreSQL re-checks the fill mark after waiting for a
#: concurrent reserver's row lock, so a list never takes more than its share.
_RESERVE: Final = (
    update(_LISTS)
    .where(
        _LISTS.c.id
        == select(_LISTS.c.id)
        .where(_LISTS.c.allocated < _LISTS.c.size * bindparam("fill", type_=Float()))
        .order_by(_LISTS.c.id)
        .limit(1)
        .scalar_subquery()
    )
    .where(_LISTS.c.allocated < _LISTS.c.size * bindparam("fill", type_=Float()))
    .values(allocated=_LISTS.c.allocated + 1)
    .returning(_LISTS.c.id, _LISTS.c.size, _LISTS.c.uri)
)
#: ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` of one allocation, per dialect.
_DRAW: Final = {
    "postgresql": pg_insert(_ALLOCATIONS)
    .on_conflict_do_nothing(index_elements=["list_id", "idx"])
    .returning(_ALLOCATIONS.c.idx),
    "sqlite": sqlite_insert(_ALLOCATIONS)
    .on_conflict_do_nothing(index_elements=["list_id", "idx"])
    .returning(_ALLOCATIONS.c.idx),
}


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


def allocate_index(
    *,
    session: Session,
    settings: IssuerSettings,
    now: datetime,
    randbelow: RandBelow = secrets.randbelow,
) -> StatusRef:
    """Allocate a fresh, never-used entry (VALID) in an open list; see the module docstring."""
    draw = _DRAW[session.get_bind().dialect.name]
    for _ in range(8):
        reserved = session.execute(_RESERVE, {"fill": settings.status_list_fill}).first()
        if reserved is None:
            _open_next_list(session, settings, now)  # every list is full, or there is none
            continue
        list_id, size, uri = int(reserved[0]), int(reserved[1]), str(reserved[2])
        for _ in range(_MAX_DRAWS):
            idx = randbelow(size)
            row = {"list_id": list_id, "idx": idx, "status": 0, "allocated_at": now}
            if session.execute(draw, row).first() is not None:
                return StatusRef(list_id, idx, uri)
        raise ServiceUnavailable("the status list is too full to draw an index")
    raise ServiceUnavailable("no status list with free entries could be reserved")


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


def needs_rebuild(
    row: StatusList, *, ring: KeyRing, settings: IssuerSettings, now: datetime
) -> bool:
    """True when the token is missing, outdated, signed by another key or past half-life."""
    if row.token is None or row.dirty or row.token_exp is None or row.kid != ring.active_kid:
        return True
    half_life = timedelta(seconds=settings.status_token_lifetime_seconds / 2)
    return row.token_exp - now < half_life


def lists_needing_rebuild(
    *, session: Session, ring: KeyRing, settings: IssuerSettings, now: datetime
) -> list[int]:
    """Ids of the lists :func:`needs_rebuild` would rebuild, found with one query."""
    half_life = timedelta(seconds=settings.status_token_lifetime_seconds / 2)
    statement = (
        select(col(StatusList.id))
        .where(
            or_(
                col(StatusList.dirty),
                col(StatusList.token).is_(None),
                col(StatusList.token_exp).is_(None),
                col(StatusList.token_exp) < now + half_life,
                col(StatusList.kid).is_(None),
                col(StatusList.kid) != ring.active_kid,
            )
        )
        .order_by(col(StatusList.id))
    )
    return [int(list_id) for list_id in session.exec(statement) if list_id is not None]


def _entries(session: Session, list_id: int) -> Iterable[tuple[int, int]]:
    statement = (
        select(col(StatusAllocation.idx), col(StatusAllocation.status))
        .where(col(StatusAllocation.list_id) == list_id)
        .where(col(StatusAllocation.status) != 0)
    )
    return session.exec(statement)


def rebuild_list(
    *,
    session: Session,
    list_id: int,
    ring: KeyRing,
    settings: IssuerSettings,
    now: datetime,
    force: bool = False,
) -> bool:
    """Rebuild and sign list ``list_id`` if it needs it (or ``force``); True when it did.

    The list row is locked first, so concurrent rebuilders queue and the later ones find the
    work done; an entry changed meanwhile marks the row dirty again after this commit.
    """
    row = session.get(StatusList, list_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound("status list not found")
    if not force and not needs_rebuild(row, ring=ring, settings=settings, now=now):
        return False
    wire_list = WireStatusList.from_entries(row.size, row.bits, _entries(session, list_id))
    iat = int(now.timestamp())
    exp = iat + settings.status_token_lifetime_seconds
    token = build_status_list_token(
        status_list=wire_list,
        sub=row.uri,
        iat=iat,
        exp=exp,
        ttl=settings.status_ttl_seconds,
        key=ring.active_key,
        kid=ring.active_kid,
        iss=settings.issuer_url,
    )
    row.token = token
    row.etag = hashlib.sha256(token.encode("ascii")).hexdigest()[:32]
    row.token_exp = datetime.fromtimestamp(exp, UTC)
    row.built_at = now
    row.kid = ring.active_kid
    row.dirty = False
    session.add(row)
    session.flush()
    return True


def served_token(
    *,
    session: Session,
    list_id: int,
    ring: KeyRing,
    settings: IssuerSettings,
    now: datetime,
) -> ServedToken:
    """The token to serve for list ``list_id``, rebuilt first only if it is stale.

    Normally the refresher and the post-commit hook have already rebuilt it, and this is one
    primary-key read; the rebuild here is the safety net that keeps the one-second promise
    even when they are late.
    """
    row = session.get(StatusList, list_id)
    if row is None:
        raise NotFound("status list not found")
    if needs_rebuild(row, ring=ring, settings=settings, now=now):
        rebuild_list(session=session, list_id=list_id, ring=ring, settings=settings, now=now)
        row = session.get(StatusList, list_id)
        assert row is not None
    assert row.token is not None
    assert row.etag is not None
    assert row.token_exp is not None
    remaining = int((row.token_exp - now).total_seconds())
    return ServedToken(row.token, row.etag, max(0, min(settings.status_ttl_seconds, remaining)))
