"""The paper permit: a separately issued credential without ``cnf`` (DESIGN §3, docs/wallet.md).

OpenID4VCI cannot express "a credential without a key proof", so the wallet asks on an
authenticated side endpoint instead: possession of a current phone copy proves who asks. The
presentation must verify with this issuer's own keys (nobody else's credentials can buy a paper
permit here), bind to this issuer and to a fresh ``c_nonce`` from the nonce endpoint, and be
VALID right now. The paper credential gets its own random status index, so suspend, reinstate
and revoke of the permit cover it like any copy, and a new one retires the previous one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, select

from issuer.audit import append_event
from issuer.lifecycle import PermitState
from issuer.models.applications import Application
from issuer.models.permits import Credential, Permit
from issuer.models.status import StatusAllocation
from issuer.services.claims import china_today, permit_claims
from issuer.services.oid4vci import WALLET_ACTOR, consume_nonce
from issuer.services.status_lists import allocate_index, status_list_prefix
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.credential import CHINA_TZ, end_of_day, issue_credential
from wire.encoding import loads_object
from wire.errors import HolderBindingInvalid, Malformed, PermitError, StatusInvalid
from wire.jwk import PublicKey
from wire.jws import parse_compact
from wire.oid4vci import (
    CredentialRequestDenied,
    CredentialResponse,
    InvalidNonce,
    InvalidProof,
    InvalidRequest,
)
from wire.profiles import Profile
from wire.sdjwt import split_presentation
from wire.verify import IssuerTrust, verify_presentation

__all__ = ["MAX_PAPER_BODY", "PAPER_PROFILE", "issue_paper_credential"]

#: docs/wallet.md step 4: the request is refused above 64 KiB before anything is parsed.
MAX_PAPER_BODY: Final = 64 * 1024
#: What the proving presentation must disclose: the permit number, key-bound, never paper.
PAPER_PROFILE: Final = Profile("paper-credential", ("permit_no",), paper=False, verifier_bound=True)

_PERMIT_FOR_UPDATE: Final = (
    select(Permit).where(col(Permit.id) == bindparam("permit_id")).with_for_update()
)


@dataclass(frozen=True, slots=True)
class _OwnIssuer:
    """This issuer as the only entry of a trust directory: its signing ring and status prefix."""

    iss: str
    status_list_prefixes: Sequence[str]
    ring: KeyRing

    def key(self, kid: str) -> PublicKey | None:
        return self.ring.public_key(kid)


@dataclass(frozen=True, slots=True)
class _OwnDirectory:
    own: _OwnIssuer

    def issuer(self, iss: str) -> IssuerTrust | None:
        return self.own if iss == self.own.iss else None


def _presentation_of(body: bytes) -> str:
    if len(body) > MAX_PAPER_BODY:
        raise InvalidRequest("the request body is too large")
    try:
        document = loads_object(body, Malformed)
    except Malformed:
        raise InvalidRequest("the body must be a JSON object") from None
    presentation = document.get("presentation")
    if not isinstance(presentation, str) or not presentation:
        raise InvalidRequest("presentation must be a non-empty string")
    return presentation


def _kb_nonce(presentation: str) -> str:
    """The KB-JWT's nonce, read unverified: verification then checks it is the signed one."""
    try:
        kb = split_presentation(presentation).kb_jwt
        if kb is None:
            raise InvalidProof("a key-bound presentation is required")
        nonce = parse_compact(kb, HolderBindingInvalid).payload.get("nonce")
    except (PermitError, ValueError):
        raise InvalidProof("the presentation does not parse") from None
    if not isinstance(nonce, str) or not nonce:
        raise InvalidProof("the key binding JWT carries no nonce")
    return nonce


def _status_lookup(session: Session, prefix: str) -> Callable[..., int]:
    """Status straight from the allocation table: the issuer is the source of the lists."""

    def lookup(issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        del issuer, now
        rest = uri.removeprefix(prefix)
        if rest == uri or not rest.isdigit():
            raise StatusInvalid()
        row = session.get(StatusAllocation, (int(rest), idx))
        if row is None:
            raise StatusInvalid()
        return int(row.status)

    return lookup


def _live_copy(session: Session, jkt: str, now: datetime) -> Credential | None:
    statement = (
        select(Credential)
        .where(col(Credential.holder_jkt) == jkt)
        .where(or_(col(Credential.retired_at).is_(None), col(Credential.grace_until) > now))
        .order_by(col(Credential.created_at).desc())
    )
    return session.exec(statement).first()


def _retire_previous_paper(
    session: Session, permit: Permit, settings: IssuerSettings, now: datetime
) -> None:
    """Retire the permit's current paper credential, VALID until the grace ends (as copies)."""
    session.execute(
        update(Credential)
        .where(col(Credential.permit_id) == permit.id)
        .where(col(Credential.holder_jkt).is_(None))
        .where(col(Credential.retired_at).is_(None))
        .values(retired_at=now, grace_until=now + timedelta(days=settings.credential_grace_days))
    )


def issue_paper_credential(
    *,
    session: Session,
    body: bytes,
    settings: IssuerSettings,
    ring: KeyRing,
    now: datetime,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> CredentialResponse:
    """Check the proving presentation (docs/wallet.md step 4) and issue one paper credential."""
    presentation = _presentation_of(body)
    nonce = _kb_nonce(presentation)
    prefix = status_list_prefix(settings)
    own = _OwnIssuer(settings.issuer_url, (prefix,), ring)
    try:
        verified = verify_presentation(
            presentation,
            directory=_OwnDirectory(own),
            profile=PAPER_PROFILE,
            now=int(now.timestamp()),
            status_lookup=_status_lookup(session, prefix),
            uri_allowed=lambda uri, prefixes: any(uri.startswith(p) for p in prefixes),
            audience=settings.issuer_url,
            nonce=nonce,
        )
    except PermitError:
        raise InvalidProof("the presentation does not verify") from None
    if not consume_nonce(session=session, nonce=nonce, now=now):
        raise InvalidNonce("the c_nonce is unknown, used or expired")
    jkt = verified.holder_thumbprint
    copy = _live_copy(session, jkt, now) if jkt is not None else None
    if copy is None:
        raise InvalidProof("the presentation is not of a current copy")
    permit = session.exec(_PERMIT_FOR_UPDATE, params={"permit_id": copy.permit_id}).one()
    if verified.claims.get("permit_no") != permit.permit_no:
        raise InvalidProof("the disclosed permit number is not this copy's")
    if permit.state != PermitState.ACTIVE:
        raise CredentialRequestDenied("the permit is not active")
    application = session.get(Application, permit.application_id)
    assert application is not None  # a permit always has its application (foreign key)
    return CredentialResponse(
        (_issue(session, permit, application, settings, ring, now, randbelow),)
    )


def _issue(
    session: Session,
    permit: Permit,
    application: Application,
    settings: IssuerSettings,
    ring: KeyRing,
    now: datetime,
    randbelow: Callable[[int], int],
) -> str:
    # Lock order of issuer.services.oid4vci: permit (held), audit head, then status lists.
    append_event(
        session=session,
        actor=WALLET_ACTOR,
        action="credential.paper",
        refs={"permit": str(permit.id)},
        now=now,
    )
    _retire_previous_paper(session, permit, settings, now)
    claims: dict[str, Any] = permit_claims(
        application=application, permit=permit, today=china_today(now)
    )
    iat, exp = int(now.timestamp()), end_of_day(permit.endorsed_until)
    if exp <= iat:
        raise CredentialRequestDenied("the permit's endorsement has ended")
    ref = allocate_index(session=session, settings=settings, now=now, randbelow=randbelow)
    credential = issue_credential(
        claims=claims,
        issuer=settings.issuer_url,
        signing_key=ring.active_key,
        holder_jwk=None,
        status_uri=ref.uri,
        status_idx=ref.idx,
        iat=iat,
        exp=exp,
    )
    session.add(
        Credential(
            permit_id=permit.id,
            status_list_id=ref.list_id,
            status_idx=ref.idx,
            holder_jkt=None,
            iat=now,
            exp=datetime.fromtimestamp(exp, CHINA_TZ),
            created_at=now,
        )
    )
    return credential.serialized
