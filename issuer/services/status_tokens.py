"""Signed Token Status List tokens (draft-ietf-oauth-status-list §5, §8): rebuilt and served.

Changing an entry (:func:`issuer.services.status_lists.set_entries`) only marks its list
``dirty``. The signed token is rebuilt from the database by :func:`rebuild_list` — right after
the committing request, by the background refresher (:mod:`issuer.publisher`), or on the first
``GET`` that finds it stale — never per request: a fresh token is served from the
``status_list`` row as stored, with its ETag. A token signed by a key that is no longer
active, or past half its lifetime, is rebuilt as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from issuer.models.status import StatusAllocation, StatusList
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.errors import NotFound
from wire.statuslist import StatusList as WireStatusList
from wire.statuslist import build_status_list_token

__all__ = [
    "ServedToken",
    "lists_needing_rebuild",
    "needs_rebuild",
    "rebuild_list",
    "served_token",
]


@dataclass(frozen=True, slots=True)
class ServedToken:
    """A signed status list token as served, with its cache validator and lifetime."""

    token: str
    etag: str
    max_age: int


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
