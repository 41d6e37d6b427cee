"""Presentations for a relying-party profile (DESIGN §3, §7) and the disclosure history.

* **Exactly the profile.** The disclosures are chosen by :func:`wire.presentation.
  create_presentation` from the profile's claim paths, nothing more; the preview shows the
  holder those values before anything is shown.
* **Key binding.** Every presentation of a bound copy carries a KB-JWT with a fresh 128-bit
  ``nonce`` and ``iat`` = now. In-person QR codes use ``aud`` = ``urn:residence-permit:qr``;
  profiles that are verifier-bound (bank, hospital, agency) are refused here, because only the
  verifier's own request (its ``client_id`` and ``nonce``) makes them acceptable (see
  :mod:`wallet_api.services.requests`).
* **Unlinkability.** The permit's copies (one holder key each) are assigned to kinds of
  verifier: a landlord and a bank never see the same ``cnf`` key or status index.
* **History.** Each presentation that leaves the wallet is one row: holder, actor (holder or
  helper, with the grant), permit, profile, audience, channel, time. Never a value.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlmodel import Session, col, or_, select

from wallet_api.errors import VerifierBoundProfile
from wallet_api.models import Account, DisclosureEvent
from wallet_api.receipt import read_credential
from wallet_api.services.permits import Access, copies_of, open_copy
from wallet_api.vault import Vault
from wire.errors import Conflict, NotFound
from wire.presentation import QR_AUDIENCE, create_presentation
from wire.profiles import Profile, filter_claims
from wire.qrcodec import encode_qr_payload

__all__ = [
    "NONCE_BYTES",
    "HistoryEntry",
    "Presentation",
    "disclosed_claims",
    "get_profile",
    "history",
    "present",
    "preview_claims",
    "record",
    "slot_for",
]

#: 128 bits: unguessable, and short in the QR (22 base64url characters).
NONCE_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class Presentation:
    text: str
    qr_text: str
    profile: str
    audience: str
    nonce: str | None
    iat: int | None
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    event: DisclosureEvent
    actor: str
    holder: str


def get_profile(profiles: Mapping[str, Profile], name: str) -> Profile:
    profile = profiles.get(name)
    if profile is None:
        raise NotFound("no such profile")
    return profile


def slot_for(profiles: Mapping[str, Profile], profile: str | None, copies: int, *, key: str) -> int:
    """Which copy a kind of verifier sees: profiles with claims take slots in file order;
    an unknown profile name (a verifier request) is placed by a hash of ``key``."""
    named = [p.name for p in profiles.values() if p.claims]
    if profile in named:
        return named.index(profile) % copies
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % copies


def disclosed_claims(claims: Mapping[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """The values a presentation of ``paths`` reveals, nested as in the credential."""
    if not paths:
        return {}
    return filter_claims(claims, Profile("preview", paths, paper=False, verifier_bound=False))


def record(
    *,
    session: Session,
    access: Access,
    profile: str,
    audience: str,
    channel: str,
    now: datetime,
) -> None:
    """Write one history row (holder, actor, grant, permit, profile, audience, channel, time)."""
    session.add(
        DisclosureEvent(
            holder_id=access.permit.account_id,
            actor_id=access.actor.id,
            grant_id=access.grant.id if access.grant is not None else None,
            permit_id=access.permit.id,
            profile=profile,
            audience=audience[:2048],
            channel=channel,
            at=now,
        )
    )
    session.flush()


def present(
    *,
    session: Session,
    vault: Vault,
    profiles: Mapping[str, Profile],
    access: Access,
    profile: Profile,
    now: datetime,
    channel: str,
    audience: str = QR_AUDIENCE,
    nonce: str | None = None,
) -> Presentation:
    """A fresh key-bound presentation of exactly ``profile``'s claims, recorded in the history.

    ``audience`` and ``nonce`` are the verifier's for a verifier-bound request; otherwise the
    in-person QR audience and a fresh wallet nonce.
    """
    if profile.verifier_bound and audience == QR_AUDIENCE:
        raise VerifierBoundProfile()
    copies = copies_of(session, access.permit.id, paper=False)
    if not copies:
        raise Conflict("this permit has no phone credential; redeem a new offer")
    copy = copies[slot_for(profiles, profile.name, len(copies), key=audience)]
    if copy.exp <= now:
        raise Conflict("this permit's endorsement has ended; it needs renewal (签注)")
    assert copy.holder_key is not None  # bound copies always have one
    key = vault.open_key(copy.id, copy.holder_key)
    credential = open_copy(vault, copy)
    iat = int(now.timestamp())
    kb_nonce = nonce if nonce is not None else secrets.token_urlsafe(NONCE_BYTES)
    text = create_presentation(
        credential, profile.claims, holder_key=key, audience=audience, nonce=kb_nonce, iat=iat
    )
    record(
        session=session,
        access=access,
        profile=profile.name,
        audience=audience,
        channel=channel,
        now=now,
    )
    return Presentation(
        text, encode_qr_payload(text), profile.name, audience, kb_nonce, iat, profile.claims
    )


def preview_claims(
    *, vault: Vault, session: Session, access: Access, profile: Profile
) -> dict[str, Any]:
    """What a presentation of ``profile`` would disclose (shown to the holder, not logged)."""
    copies = copies_of(session, access.permit.id, paper=False) or copies_of(
        session, access.permit.id, paper=True
    )
    if not copies:
        raise Conflict("this permit has no stored credential")
    claims = read_credential(open_copy(vault, copies[0])).claims
    return disclosed_claims(claims, profile.claims)


def history(*, session: Session, account: Account, limit: int, offset: int) -> list[HistoryEntry]:
    """Presentations of the account's permits and those it made as a helper, newest first."""
    rows = session.exec(
        select(DisclosureEvent)
        .where(
            or_(
                col(DisclosureEvent.holder_id) == account.id,
                col(DisclosureEvent.actor_id) == account.id,
            )
        )
        .order_by(col(DisclosureEvent.at).desc(), col(DisclosureEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    names: dict[uuid.UUID, str] = {account.id: account.username}
    out: list[HistoryEntry] = []
    for row in rows:
        for who in (row.actor_id, row.holder_id):
            if who not in names:
                other = session.get(Account, who)
                names[who] = other.username if other is not None else "?"
        out.append(HistoryEntry(row, names[row.actor_id], names[row.holder_id]))
    return out
