"""A holder's permits: who may act on which, what they say, their status, removal.

**Access.** A permit belongs to one account. Its owner may do everything; a helper (帮办代办)
may *present* it while a grant covering that permit and profile is live (see
:mod:`wallet_api.services.helpers`). Anyone else gets 404, the same answer as for an id that
does not exist, so ids of other people's permits reveal nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from wallet_api.models import Account, CredentialCopy, HelperGrant, WalletPermit
from wallet_api.receipt import StoredView, read_credential
from wallet_api.settings import WalletSettings
from wallet_api.status import StatusCache, StatusReport
from wallet_api.vault import Vault
from wire.errors import Conflict, Forbidden, NotFound

__all__ = [
    "Access",
    "PermitSummary",
    "copies_of",
    "delete_permit",
    "live_grants",
    "open_copy",
    "permit_access",
    "permit_summaries",
    "summarize",
    "with_status",
]


@dataclass(frozen=True, slots=True)
class Access:
    """A permit the actor may act on, and the grant that allows it (None for the owner)."""

    permit: WalletPermit
    actor: Account
    grant: HelperGrant | None

    @property
    def is_owner(self) -> bool:
        return self.grant is None


@dataclass(frozen=True, slots=True)
class PermitSummary:
    permit: WalletPermit
    view: StoredView
    report: StatusReport
    copies: int
    paper: bool
    delegated_by: str | None


def live_grants(
    *, session: Session, helper_id: uuid.UUID, now: datetime, holder_id: uuid.UUID | None = None
) -> list[HelperGrant]:
    """Grants the helper holds now (not revoked, not expired)."""
    statement = (
        select(HelperGrant)
        .where(HelperGrant.helper_id == helper_id)
        .where(col(HelperGrant.revoked_at).is_(None))
        .where(col(HelperGrant.expires_at) > now)
    )
    if holder_id is not None:
        statement = statement.where(HelperGrant.holder_id == holder_id)
    return list(session.exec(statement).all())


def _grant_profiles(grant: HelperGrant) -> set[str]:
    return set(grant.profiles.split())


def permit_access(
    *,
    session: Session,
    actor: Account,
    permit_id: uuid.UUID,
    now: datetime,
    profile: str | None = None,
    owner_only: bool = False,
) -> Access:
    """The permit if ``actor`` owns it, or presents ``profile`` of it under a live grant."""
    permit = session.get(WalletPermit, permit_id)
    if permit is None:
        raise NotFound("no such permit")
    if permit.account_id == actor.id:
        return Access(permit, actor, None)
    if owner_only:
        raise NotFound("no such permit")
    grants = [
        g
        for g in live_grants(
            session=session, helper_id=actor.id, holder_id=permit.account_id, now=now
        )
        if g.permit_id in (None, permit.id)
    ]
    if not grants:
        raise NotFound("no such permit")
    if profile is None:
        return Access(permit, actor, grants[0])
    for grant in grants:
        if not grant.profiles or profile in _grant_profiles(grant):
            return Access(permit, actor, grant)
    raise Forbidden("your helper grant does not cover this profile")


def copies_of(session: Session, permit_id: uuid.UUID, *, paper: bool) -> list[CredentialCopy]:
    return list(
        session.exec(
            select(CredentialCopy)
            .where(CredentialCopy.permit_id == permit_id)
            .where(CredentialCopy.paper == paper)
            .order_by(col(CredentialCopy.slot))
        ).all()
    )


def open_copy(vault: Vault, copy: CredentialCopy) -> str:
    return vault.open_credential(copy.id, copy.credential)


def summarize(
    *,
    session: Session,
    vault: Vault,
    permit: WalletPermit,
    now: datetime,
    delegated_by: str | None = None,
) -> PermitSummary:
    """What the permit says (status not yet checked: see :func:`with_status`)."""
    bound = copies_of(session, permit.id, paper=False)
    paper = copies_of(session, permit.id, paper=True)
    if not bound and not paper:
        raise Conflict("this permit has no stored credential")
    first = bound[0] if bound else paper[0]
    view = read_credential(open_copy(vault, first))
    report = StatusReport("unknown", False, now)
    return PermitSummary(permit, view, report, len(bound), bool(paper), delegated_by)


def with_status(
    summary: PermitSummary, *, statuses: StatusCache, settings: WalletSettings, now: datetime
) -> PermitSummary:
    """The summary with its status fetched; call it outside any database transaction."""
    report = statuses.report(
        issuer=summary.permit.issuer,
        claims=summary.view.claims,
        exp=summary.view.exp,
        uri=summary.view.status_uri,
        idx=summary.view.status_idx,
        now=now,
        notice_days=settings.endorsement_notice_days,
    )
    return replace(summary, report=report)


def permit_summaries(
    *, session: Session, vault: Vault, actor: Account, now: datetime
) -> list[PermitSummary]:
    """The actor's own permits, then those a live helper grant lets them present."""
    grants = live_grants(session=session, helper_id=actor.id, now=now)
    whole = {g.holder_id for g in grants if g.permit_id is None}
    single = {g.permit_id for g in grants if g.permit_id is not None}
    conditions: list[Any] = [col(WalletPermit.account_id) == actor.id]
    if whole:
        conditions.append(col(WalletPermit.account_id).in_(whole))
    if single:
        conditions.append(col(WalletPermit.id).in_(single))
    permits: Sequence[WalletPermit] = session.exec(
        select(WalletPermit).where(or_(*conditions)).order_by(col(WalletPermit.created_at))
    ).all()
    names: dict[uuid.UUID, str] = {}
    out: list[PermitSummary] = []
    for permit in permits:
        owner: str | None = None
        if permit.account_id != actor.id:
            if permit.account_id not in names:
                holder = session.get(Account, permit.account_id)
                names[permit.account_id] = holder.display_name if holder else "?"
            owner = names[permit.account_id]
        out.append(
            summarize(session=session, vault=vault, permit=permit, now=now, delegated_by=owner)
        )
    return out


def delete_permit(*, session: Session, actor: Account, permit_id: uuid.UUID, now: datetime) -> None:
    """Remove a permit with its keys and credentials (owner only); history is kept."""
    access = permit_access(
        session=session, actor=actor, permit_id=permit_id, now=now, owner_only=True
    )
    session.delete(access.permit)
    session.flush()
