"""Credential offers (OpenID4VCI 1.0 §4.1): created on approval, renewal and change of data.

An offer's pre-authorized code and tx_code are not stored: they are derived as
``HMAC-SHA256(offer_secret, label || offer id)``, and only their hashes go into the table
(``hash_secret``, ``hash_tx_code``). That is what lets an officer, or the applicant holding the
status-check token, fetch the same offer again as a URI or QR code at any time before it is
redeemed, while a copy of the database alone redeems nothing (it lacks the secret). The
tx_code is shown to officers only: it travels to the holder by a second channel (SMS or the
printed slip), so a photo of the QR code alone is useless (§13).

Each application has at most one open offer: creating a new one voids the previous one.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from issuer.audit import NewEvent, append_event, append_events
from issuer.authz import Permission, Principal, require_permission
from issuer.db import TZDateTime, core_connection
from issuer.lifecycle import (
    APPLICATION_LIFECYCLE,
    ApplicationAction,
    ApplicationState,
    PermitState,
)
from issuer.models._base import metadata
from issuer.models.applications import Application
from issuer.models.offers import CredentialOffer
from issuer.models.permits import Permit
from issuer.services.applications import (
    check_status_token,
    get_application,
    lock_for_decision,
)
from issuer.services.transitions import mark_moved, record_moves
from issuer.settings import IssuerSettings
from wire.encoding import b64u_encode
from wire.errors import Conflict, NotFound
from wire.oid4vci import CredentialOffer as WireOffer
from wire.oid4vci import TxCode, hash_secret, hash_tx_code

__all__ = [
    "NewOffer",
    "OfferData",
    "OfferSecrets",
    "OfferView",
    "applicant_offer",
    "approve_with_offer",
    "create_offer",
    "derive_offer_secrets",
    "new_offer",
    "offer_qr_png",
    "offer_view",
    "officer_offer",
    "open_offer",
    "reissue_offer",
    "store_offers",
]

_CODE_LABEL: Final = b"oid4vci-pre-authorized-code\x00"
_TX_LABEL: Final = b"oid4vci-tx-code\x00"
TX_CODE_DESCRIPTION: Final = "请输入办证通知中的验证码 / Enter the code from your permit notice"


@dataclass(frozen=True, slots=True)
class OfferSecrets:
    """The redeemable values of one offer; never stored, re-derived when needed."""

    pre_authorized_code: str
    tx_code: str | None


@dataclass(frozen=True, slots=True)
class OfferView:
    """An open offer as shown to officers (with the tx_code) or the applicant (without)."""

    offer_id: uuid.UUID
    application_id: uuid.UUID
    purpose: str
    offer_uri: str
    tx_code: str | None
    tx_code_required: bool
    expires_at: datetime


def derive_offer_secrets(
    *, settings: IssuerSettings, offer_id: uuid.UUID, with_tx_code: bool
) -> OfferSecrets:
    """The offer's pre-authorized code (256 bits) and, if used, its numeric tx_code."""
    key = settings.offer_secret.get_secret_value().encode("utf-8")
    code = b64u_encode(hmac.new(key, _CODE_LABEL + offer_id.bytes, hashlib.sha256).digest())
    if not with_tx_code:
        return OfferSecrets(code, None)
    digest = hmac.new(key, _TX_LABEL + offer_id.bytes, hashlib.sha256).digest()
    # 64 uniform bits reduced mod 10^length: the bias is below 10^12 / 2^64, i.e. negligible.
    number = int.from_bytes(digest[:8], "big") % 10**settings.tx_code_length
    return OfferSecrets(code, str(number).zfill(settings.tx_code_length))


@dataclass(frozen=True, slots=True)
class NewOffer:
    """An offer row as stored (hashes only): what :func:`offer_view` needs to show it."""

    id: uuid.UUID
    application_id: uuid.UUID
    permit_id: uuid.UUID | None
    purpose: str
    pre_authorized_code_hash: str
    tx_code_hash: str | None
    expires_at: datetime
    created_at: datetime

    def row(self) -> dict[str, Any]:
        """The ``credential_offer`` row."""
        return {
            "id": self.id,
            "application_id": self.application_id,
            "permit_id": self.permit_id,
            "purpose": self.purpose,
            "pre_authorized_code_hash": self.pre_authorized_code_hash,
            "tx_code_hash": self.tx_code_hash,
            "expires_at": self.expires_at,
            "redeemed": False,
            "redeemed_at": None,
            "created_at": self.created_at,
            "tx_code_failures": 0,
            "voided_at": None,
        }

    def event(self, actor: str) -> NewEvent:
        """Its ``offer.create`` audit event."""
        return NewEvent(
            actor, "offer.create", {"offer": str(self.id), "application": str(self.application_id)}
        )


class OfferData(Protocol):
    """What showing an offer reads: a table row or a :class:`NewOffer`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def application_id(self) -> uuid.UUID: ...
    @property
    def purpose(self) -> str: ...
    @property
    def tx_code_hash(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime: ...


_OFFERS: Final = metadata.tables["credential_offer"]
_INSERT_OFFER: Final = insert(_OFFERS)
_VOID_OPEN: Final = (
    update(_OFFERS)
    .where(_OFFERS.c.application_id == bindparam("of_application"))
    .where(_OFFERS.c.redeemed.is_(False))
    .where(_OFFERS.c.voided_at.is_(None))
    .values(voided_at=bindparam("now", type_=TZDateTime()))
)


def new_offer(
    *,
    settings: IssuerSettings,
    application_id: uuid.UUID,
    permit_id: uuid.UUID | None,
    purpose: str,
    now: datetime,
) -> NewOffer:
    """A fresh offer (not yet stored): its id, and the hashes of its derived code and PIN."""
    offer_id = uuid.uuid4()
    secrets = derive_offer_secrets(
        settings=settings, offer_id=offer_id, with_tx_code=settings.offer_tx_code
    )
    return NewOffer(
        id=offer_id,
        application_id=application_id,
        permit_id=permit_id,
        purpose=purpose,
        pre_authorized_code_hash=hash_secret(secrets.pre_authorized_code),
        tx_code_hash=(
            hash_tx_code(secrets.tx_code, pre_authorized_code=secrets.pre_authorized_code)
            if secrets.tx_code is not None
            else None
        ),
        expires_at=now + timedelta(seconds=settings.offer_ttl_seconds),
        created_at=now,
    )


def store_offers(*, session: Session, offers: Sequence[NewOffer]) -> None:
    """Insert ``offers`` (one statement); the caller appends their ``offer.create`` events."""
    rows = [offer.row() for offer in offers]
    if rows:
        core_connection(session).execute(_INSERT_OFFER, rows[0] if len(rows) == 1 else rows)


def create_offer(
    *,
    session: Session,
    settings: IssuerSettings,
    application_id: uuid.UUID,
    permit_id: uuid.UUID | None,
    purpose: str,
    actor: str,
    now: datetime,
) -> NewOffer:
    """Store a new offer (hashes only) and void any offer of the application still open."""
    core_connection(session).execute(_VOID_OPEN, {"of_application": application_id, "now": now})
    offer = new_offer(
        settings=settings,
        application_id=application_id,
        permit_id=permit_id,
        purpose=purpose,
        now=now,
    )
    store_offers(session=session, offers=[offer])
    event = offer.event(actor)
    append_event(session=session, actor=event.actor, action=event.action, refs=event.refs, now=now)
    return offer


def offer_view(*, settings: IssuerSettings, offer: OfferData, include_tx_code: bool) -> OfferView:
    """The offer as a by-value ``openid-credential-offer://`` URI (§4.1.2)."""
    required = offer.tx_code_hash is not None
    secrets = derive_offer_secrets(settings=settings, offer_id=offer.id, with_tx_code=required)
    tx_code = TxCode("numeric", settings.tx_code_length, TX_CODE_DESCRIPTION) if required else None
    uri = WireOffer(settings.issuer_url, secrets.pre_authorized_code, tx_code).to_uri()
    return OfferView(
        offer_id=offer.id,
        application_id=offer.application_id,
        purpose=offer.purpose,
        offer_uri=uri,
        tx_code=secrets.tx_code if include_tx_code else None,
        tx_code_required=required,
        expires_at=offer.expires_at,
    )


def open_offer(*, session: Session, application_id: uuid.UUID, now: datetime) -> CredentialOffer:
    """The application's offer that can still be redeemed (:class:`NotFound` if none)."""
    statement = (
        select(CredentialOffer)
        .where(col(CredentialOffer.application_id) == application_id)
        .where(col(CredentialOffer.redeemed).is_(False))
        .where(col(CredentialOffer.voided_at).is_(None))
        .where(col(CredentialOffer.expires_at) > now)
        .order_by(col(CredentialOffer.created_at).desc())
        .limit(1)
    )
    offer = session.exec(statement).first()
    if offer is None:
        raise NotFound("no open credential offer")
    return offer


def officer_offer(
    *,
    session: Session,
    principal: Principal,
    settings: IssuerSettings,
    application_id: uuid.UUID,
    now: datetime,
) -> OfferView:
    """The open offer with its tx_code, for clerks and supervisors of the jurisdiction.

    Auditors read applications but may not see an offer: it is a bearer credential that would
    let them redeem someone else's permit.
    """
    require_permission(principal, Permission.DECIDE_APPLICATIONS)
    get_application(session=session, principal=principal, application_id=application_id)
    offer = open_offer(session=session, application_id=application_id, now=now)
    return offer_view(settings=settings, offer=offer, include_tx_code=True)


def applicant_offer(
    *,
    session: Session,
    settings: IssuerSettings,
    application_id: uuid.UUID,
    status_token: str,
    now: datetime,
) -> OfferView:
    """The open offer for the applicant (status-check token), without the tx_code."""
    check_status_token(session=session, application_id=application_id, token=status_token)
    offer = open_offer(session=session, application_id=application_id, now=now)
    return offer_view(settings=settings, offer=offer, include_tx_code=False)


def approve_with_offer(
    *,
    session: Session,
    principal: Principal,
    settings: IssuerSettings,
    application_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> tuple[Application, OfferView]:
    """``submitted -> approved`` and the first credential offer, in one transaction.

    The approval's and the offer's audit events are appended together (one lock of the chain
    head). A submitted application has no offer to void: offers exist only for approved or
    issued applications.
    """
    application = lock_for_decision(
        session=session,
        principal=principal,
        application_id=application_id,
        action=ApplicationAction.APPROVE,
    )
    target, events = record_moves(
        session=session,
        lifecycle=APPLICATION_LIFECYCLE,
        entity_ids=[application.id],
        current=application.state,
        action=ApplicationAction.APPROVE,
        actor=principal.actor,
        reason=reason,
        now=now,
    )
    offer = new_offer(
        settings=settings, application_id=application.id, permit_id=None, purpose="issue", now=now
    )
    store_offers(session=session, offers=[offer])
    append_events(session=session, events=[*events, offer.event(principal.actor)], now=now)
    mark_moved(application, target, now)
    return application, offer_view(settings=settings, offer=offer, include_tx_code=True)


def reissue_offer(
    *,
    session: Session,
    principal: Principal,
    settings: IssuerSettings,
    application_id: uuid.UUID,
    now: datetime,
) -> OfferView:
    """A fresh offer replacing an expired or lost one (clerk or supervisor).

    For an approved application it is again the first issuance; for an issued one it offers a
    new copy of the active permit (e.g. a new phone), and the copies it replaces are retired
    after the grace period once the new ones are issued.
    """
    require_permission(principal, Permission.DECIDE_APPLICATIONS)
    application = get_application(
        session=session, principal=principal, application_id=application_id, lock=True
    )
    permit_id: uuid.UUID | None = None
    purpose = "issue"
    if application.state == ApplicationState.ISSUED:
        permit = session.exec(select(Permit).where(Permit.application_id == application.id)).one()
        if permit.state != PermitState.ACTIVE:
            raise Conflict(f"cannot offer a credential: the permit is {permit.state}")
        permit_id, purpose = permit.id, "reissue"
    elif application.state != ApplicationState.APPROVED:
        raise Conflict(f"cannot offer a credential: the application is {application.state}")
    offer = create_offer(
        session=session,
        settings=settings,
        application_id=application.id,
        permit_id=permit_id,
        purpose=purpose,
        actor=principal.actor,
        now=now,
    )
    return offer_view(settings=settings, offer=offer, include_tx_code=True)


def offer_qr_png(uri: str) -> bytes:
    """The offer URI as a QR code PNG (error correction M, as the wallet's scanner expects)."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    qr.add_data(uri)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer)
    return buffer.getvalue()
