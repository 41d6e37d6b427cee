"""Token, nonce and credential endpoints of the Pre-Authorized Code Flow (OpenID4VCI 1.0 §6-§8).

The message formats and proof checks are :mod:`wire.oid4vci`'s; this module keeps the state:
which codes, tokens and nonces are valid, and what a redeemed offer turns into. Everything is
single use and stored as a hash: a code redeems once (a second attempt is ``invalid_grant`` and
stores nothing), an access token serves one successful Credential Request, a ``c_nonce`` row is
deleted by the proof that uses it. Failures answer with the OAuth error the wallet can act on.

Lock order (to stay deadlock-free with officers' actions on PostgreSQL): access token, offer,
application, permit, then the audit head; permit numbers and status lists only after it.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import bindparam, delete, insert, select, update
from sqlmodel import Session

from issuer.audit import NewEvent, append_event, append_events
from issuer.db import TZDateTime, core_connection
from issuer.lifecycle import (
    APPLICATION_LIFECYCLE,
    ApplicationAction,
    ApplicationState,
    PermitState,
)
from issuer.models._base import metadata
from issuer.services.claims import PermitData
from issuer.services.credentials import issue_copies, retire_superseded
from issuer.services.permit_creation import NewPermit, create_permit
from issuer.services.transitions import record_moves
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.oid4vci import (
    CredentialRequest,
    CredentialRequestDenied,
    CredentialResponse,
    InvalidGrant,
    InvalidToken,
    NonceResponse,
    TokenRequest,
    TokenResponse,
    hash_secret,
    hash_tx_code,
    new_access_token,
    new_c_nonce,
    verify_proofs,
)

__all__ = [
    "APPLICATION_COLUMNS",
    "PROOF_ALGORITHMS",
    "WALLET_ACTOR",
    "ApplicationRow",
    "consume_nonce",
    "issue_credentials",
    "new_nonce",
    "redeem_pre_authorized_code",
]

#: Holder key algorithms accepted in key proofs (DESIGN §2, §3).
PROOF_ALGORITHMS = frozenset({"ES256", "EdDSA"})
#: How the audit log names a wallet redeeming an offer (the holder has no account).
WALLET_ACTOR = "wallet"
#: Offer purposes whose new copies carry new data or validity, so they replace the paper copy
#: too; a first or replacement phone copy leaves it current.
_NEW_DATA_PURPOSES: Final = frozenset({"renew", "change"})


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """The application columns issuance reads (``ApplicationData``)."""

    id: uuid.UUID
    jurisdiction: str
    name: str
    sex: str
    birth_date: date
    id_number: str
    hukou_address: str
    residence_region_code: str
    residence_district: str
    residence_street: str
    outcome: str
    state: str

    @classmethod
    def of(cls, row: Any) -> ApplicationRow:
        """From a result row holding (at least) these columns by name."""
        return cls(
            id=row.id,
            jurisdiction=row.jurisdiction,
            name=row.name,
            sex=row.sex,
            birth_date=row.birth_date,
            id_number=row.id_number,
            hukou_address=row.hukou_address,
            residence_region_code=row.residence_region_code,
            residence_district=row.residence_district,
            residence_street=row.residence_street,
            outcome=row.outcome,
            state=row.state,
        )


# Hot-path statements, built once (building one costs more than running it on SQLite), and run
# as Core statements: loading and flushing ORM objects would cost more than the SQL itself.
_TOKENS: Final = metadata.tables["access_token"]
_OFFERS: Final = metadata.tables["credential_offer"]
_APPLICATIONS: Final = metadata.tables["application"]
_PERMITS: Final = metadata.tables["permit"]
_NONCES: Final = metadata.tables["c_nonce"]
#: What :meth:`ApplicationRow.of` reads, for every statement that selects an application to issue.
APPLICATION_COLUMNS: Final = tuple(_APPLICATIONS.c[field.name] for field in fields(ApplicationRow))

_OFFER_BY_CODE: Final = (
    select(
        _OFFERS.c.id,
        _OFFERS.c.tx_code_hash,
        _OFFERS.c.redeemed,
        _OFFERS.c.voided_at,
        _OFFERS.c.expires_at,
        _OFFERS.c.tx_code_failures,
    )
    .where(_OFFERS.c.pre_authorized_code_hash == bindparam("code_hash"))
    .with_for_update()
)
_COUNT_TX_CODE_FAILURE: Final = (
    update(_OFFERS)
    .where(_OFFERS.c.id == bindparam("offer_id"))
    .values(tx_code_failures=_OFFERS.c.tx_code_failures + 1)
)
_REDEEM: Final = (
    update(_OFFERS)
    .where(_OFFERS.c.id == bindparam("offer_id"))
    .values(redeemed=True, redeemed_at=bindparam("now", type_=TZDateTime()))
)
_INSERT_TOKEN: Final = insert(_TOKENS)
_INSERT_NONCE: Final = insert(_NONCES)
#: Single use: the row is deleted by the one request that uses it (RETURNING tells whether
#: there was one; psycopg reports no rowcount for every statement).
_USE_NONCE: Final = (
    delete(_NONCES)
    .where(_NONCES.c.nonce_hash == bindparam("nonce_hash"))
    .where(_NONCES.c.expires_at > bindparam("now", type_=TZDateTime()))
    .returning(_NONCES.c.nonce_hash)
)
#: Everything a Credential Request needs, in one read: the token (locked: it serialises every
#: request for its offer), its offer and the application (locked: the lock order of the module
#: docstring, token before application).
_REQUEST_CONTEXT: Final = (
    select(
        _TOKENS.c.expires_at.label("token_expires_at"),
        _TOKENS.c.used_at.label("token_used_at"),
        _OFFERS.c.id.label("offer_id"),
        _OFFERS.c.permit_id.label("offer_permit_id"),
        _OFFERS.c.purpose.label("offer_purpose"),
        *APPLICATION_COLUMNS,
    )
    .select_from(
        _TOKENS.join(_OFFERS, _OFFERS.c.id == _TOKENS.c.offer_id).join(
            _APPLICATIONS, _APPLICATIONS.c.id == _OFFERS.c.application_id
        )
    )
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
    .with_for_update(of=[_TOKENS, _APPLICATIONS])
)
_PERMIT_OF_APPLICATION: Final = (
    select(
        _PERMITS.c.id,
        _PERMITS.c.permit_no,
        _PERMITS.c.permit_class,
        _PERMITS.c.issuing_authority,
        _PERMITS.c.first_issued,
        _PERMITS.c.endorsed_until,
        _PERMITS.c.state,
        _PERMITS.c.residence_region_code,
        _PERMITS.c.residence_district,
        _PERMITS.c.residence_street,
    )
    .where(_PERMITS.c.application_id == bindparam("application_id"))
    .with_for_update()
)
_LINK_OFFER: Final = (
    update(_OFFERS)
    .where(_OFFERS.c.id == bindparam("offer_id"))
    .values(permit_id=bindparam("new_permit_id"))
)
_USE_TOKEN: Final = (
    update(_TOKENS)
    .where(_TOKENS.c.token_hash == bindparam("used_hash"))
    .values(used_at=bindparam("now", type_=TZDateTime()))
)


@dataclass(frozen=True, slots=True)
class _PermitRow:
    """An existing permit as issuance reads it (:class:`PermitData`)."""

    id: uuid.UUID
    permit_no: str
    permit_class: str
    issuing_authority: str
    first_issued: date
    endorsed_until: date
    state: str
    residence_region_code: str | None
    residence_district: str | None
    residence_street: str | None


def redeem_pre_authorized_code(
    *,
    session: Session,
    request: TokenRequest,
    settings: IssuerSettings,
    now: datetime,
    token_factory: Callable[[], str] = new_access_token,
) -> TokenResponse | InvalidGrant:
    """Exchange a pre-authorized code (and tx_code) for an access token (§6).

    A wrong tx_code is *returned* as :class:`InvalidGrant` rather than raised: the failed
    attempt must be counted, so the caller commits before answering (an offer is burned after
    ``tx_code_max_attempts`` misses). Every other refusal raises and changes nothing.
    """
    code_hash = hash_secret(request.pre_authorized_code)
    conn = core_connection(session)
    offer = conn.execute(_OFFER_BY_CODE, {"code_hash": code_hash}).first()
    if offer is None:
        raise InvalidGrant("the pre-authorized code is not valid")
    request.check_tx_code_presence(required=offer.tx_code_hash is not None)
    if offer.redeemed or offer.voided_at is not None:
        raise InvalidGrant("the pre-authorized code was already used or replaced")
    if offer.expires_at <= now:
        raise InvalidGrant("the pre-authorized code has expired")
    if offer.tx_code_failures >= settings.tx_code_max_attempts:
        raise InvalidGrant("too many wrong transaction codes; ask for a new offer")
    if offer.tx_code_hash is not None:
        assert request.tx_code is not None  # check_tx_code_presence
        expected = hash_tx_code(request.tx_code, pre_authorized_code=request.pre_authorized_code)
        if not hmac.compare_digest(expected, offer.tx_code_hash):
            conn.execute(_COUNT_TX_CODE_FAILURE, {"offer_id": offer.id})
            return InvalidGrant("the transaction code is wrong")
    token = token_factory()
    conn.execute(_REDEEM, {"offer_id": offer.id, "now": now})
    conn.execute(
        _INSERT_TOKEN,
        {
            "token_hash": hash_secret(token),
            "offer_id": offer.id,
            "expires_at": now + timedelta(seconds=settings.access_token_ttl_seconds),
            "used_at": None,
            "created_at": now,
        },
    )
    return TokenResponse(access_token=token, expires_in=settings.access_token_ttl_seconds)


def new_nonce(
    *,
    session: Session,
    settings: IssuerSettings,
    now: datetime,
    nonce_factory: Callable[[], str] = new_c_nonce,
) -> NonceResponse:
    """A fresh ``c_nonce`` (§7), valid for ``c_nonce_ttl_seconds`` and for one proof batch."""
    nonce = nonce_factory()
    core_connection(session).execute(
        _INSERT_NONCE,
        {
            "nonce_hash": hash_secret(nonce),
            "expires_at": now + timedelta(seconds=settings.c_nonce_ttl_seconds),
            "created_at": now,
        },
    )
    return NonceResponse(nonce)


def consume_nonce(*, session: Session, nonce: str, now: datetime) -> bool:
    """Use up ``nonce``: True if it was issued here, has not expired and was not used before."""
    params = {"nonce_hash": hash_secret(nonce), "now": now}
    return core_connection(session).execute(_USE_NONCE, params).first() is not None


def _first_permit(
    session: Session,
    offer_id: uuid.UUID,
    application: ApplicationRow,
    settings: IssuerSettings,
    now: datetime,
) -> NewPermit:
    """``approved -> issued`` and the permit it creates, both audited, in the lock order."""
    _, [issue] = record_moves(
        session=session,
        lifecycle=APPLICATION_LIFECYCLE,
        entity_ids=[application.id],
        current=ApplicationState.APPROVED,
        action=ApplicationAction.ISSUE,
        actor=WALLET_ACTOR,
        reason="credential issued to the holder's wallet",
        now=now,
    )
    permit_id = uuid.uuid4()
    # The application's move first, then the permit it created, naming the offer redeemed;
    # both under one lock of the audit head, taken before permit numbers and status lists.
    created = NewEvent(
        WALLET_ACTOR, "permit.create", {"permit": str(permit_id), "offer": str(offer_id)}
    )
    append_events(session=session, events=[issue, created], now=now)
    permit = create_permit(
        session=session, application=application, settings=settings, now=now, permit_id=permit_id
    )
    core_connection(session).execute(
        _LINK_OFFER, {"offer_id": offer_id, "new_permit_id": permit.id}
    )
    return permit


def _existing_permit(
    session: Session,
    offer_id: uuid.UUID,
    offer_permit_id: uuid.UUID | None,
    application_id: uuid.UUID,
    now: datetime,
) -> PermitData:
    row = (
        core_connection(session)
        .execute(_PERMIT_OF_APPLICATION, {"application_id": application_id})
        .first()
    )
    if row is None or (offer_permit_id is not None and row.id != offer_permit_id):
        raise CredentialRequestDenied("this offer no longer leads to a permit")
    if row.state != PermitState.ACTIVE:
        raise CredentialRequestDenied("the permit is not active")
    append_event(
        session=session,
        actor=WALLET_ACTOR,
        action="credential.issue",
        refs={"offer": str(offer_id), "permit": str(row.id)},
        now=now,
    )
    return _PermitRow(
        id=row.id,
        permit_no=row.permit_no,
        permit_class=row.permit_class,
        issuing_authority=row.issuing_authority,
        first_issued=row.first_issued,
        endorsed_until=row.endorsed_until,
        state=row.state,
        residence_region_code=row.residence_region_code,
        residence_district=row.residence_district,
        residence_street=row.residence_street,
    )


def issue_credentials(
    *,
    session: Session,
    access_token: str | None,
    body: bytes,
    settings: IssuerSettings,
    ring: KeyRing,
    now: datetime,
) -> CredentialResponse:
    """Answer a Credential Request (§8): one SD-JWT VC per verified key proof, all or none.

    The first issuance for an offer moves the application ``approved -> issued`` and creates
    the permit; a renewal, change or reissue offer issues new copies of the permit's current
    data, and the copies they replace are retired after the grace period (a paper copy only
    by a renewal or change, which alter its data).
    """
    if not access_token:
        raise InvalidToken("an access token is required")
    token_hash = hash_secret(access_token)
    context = core_connection(session).execute(_REQUEST_CONTEXT, {"token_hash": token_hash}).first()
    if context is None or context.token_used_at is not None or context.token_expires_at <= now:
        raise InvalidToken("the access token is invalid, used or expired")
    request = CredentialRequest.from_json(body, batch_size=settings.credential_batch_size)
    holder_jwks = verify_proofs(
        request.proofs,
        audience=settings.issuer_url,
        now=int(now.timestamp()),
        nonce_valid=lambda nonce: consume_nonce(session=session, nonce=nonce, now=now),
        algorithms=PROOF_ALGORITHMS,
    )
    application = ApplicationRow.of(context)
    permit: PermitData
    created = context.offer_permit_id is None and application.state == ApplicationState.APPROVED
    if created:
        permit = _first_permit(session, context.offer_id, application, settings, now)
    else:
        permit = _existing_permit(
            session, context.offer_id, context.offer_permit_id, application.id, now
        )
    issued = issue_copies(
        session=session,
        permit=permit,
        application=application,
        holder_jwks=holder_jwks,
        settings=settings,
        ring=ring,
        now=now,
    )
    if not created:
        retire_superseded(
            session=session,
            permit_id=permit.id,
            keep=[copy.id for copy in issued],
            settings=settings,
            actor=WALLET_ACTOR,
            now=now,
            include_paper=context.offer_purpose in _NEW_DATA_PURPOSES,
        )
    core_connection(session).execute(_USE_TOKEN, {"used_hash": token_hash, "now": now})
    return CredentialResponse(tuple(copy.serialized for copy in issued))
