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
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import bindparam, delete
from sqlmodel import Session, col, select

from issuer.audit import append_event
from issuer.db import TZDateTime
from issuer.lifecycle import (
    APPLICATION_LIFECYCLE,
    ApplicationAction,
    ApplicationState,
    PermitState,
)
from issuer.models._base import metadata
from issuer.models.applications import Application
from issuer.models.offers import AccessToken, CNonce, CredentialOffer
from issuer.models.permits import Permit
from issuer.services.issuance import create_permit, issue_copies, retire_superseded
from issuer.services.transitions import move
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
    "PROOF_ALGORITHMS",
    "WALLET_ACTOR",
    "consume_nonce",
    "issue_credentials",
    "new_nonce",
    "redeem_pre_authorized_code",
]

#: Holder key algorithms accepted in key proofs (DESIGN §2, §3).
PROOF_ALGORITHMS = frozenset({"ES256", "EdDSA"})
#: How the audit log names a wallet redeeming an offer (the holder has no account).
WALLET_ACTOR = "wallet"

# Hot-path statements, built once (building one costs more than running it on SQLite).
_TOKEN_BY_HASH: Final = (
    select(AccessToken)
    .where(col(AccessToken.token_hash) == bindparam("token_hash"))
    .with_for_update()
)
_OFFER_BY_ID: Final = select(CredentialOffer).where(
    col(CredentialOffer.id) == bindparam("offer_id")
)
_APPLICATION_BY_ID: Final = (
    select(Application).where(col(Application.id) == bindparam("application_id")).with_for_update()
)
_PERMIT_OF_APPLICATION: Final = (
    select(Permit)
    .where(col(Permit.application_id) == bindparam("application_id"))
    .with_for_update()
)
_OFFER_BY_CODE: Final = (
    select(CredentialOffer)
    .where(col(CredentialOffer.pre_authorized_code_hash) == bindparam("code_hash"))
    .with_for_update()
)
_NONCES: Final = metadata.tables["c_nonce"]
#: Single use: the row is deleted by the one request that uses it (RETURNING tells whether
#: there was one; psycopg reports no rowcount for every statement).
_USE_NONCE: Final = (
    delete(_NONCES)
    .where(_NONCES.c.nonce_hash == bindparam("nonce_hash"))
    .where(_NONCES.c.expires_at > bindparam("now", type_=TZDateTime()))
    .returning(_NONCES.c.nonce_hash)
)


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
    offer = session.exec(_OFFER_BY_CODE, params={"code_hash": code_hash}).first()
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
            offer.tx_code_failures += 1
            session.add(offer)
            return InvalidGrant("the transaction code is wrong")
    offer.redeemed = True
    offer.redeemed_at = now
    token = token_factory()
    session.add(offer)
    session.add(
        AccessToken(
            token_hash=hash_secret(token),
            offer_id=offer.id,
            expires_at=now + timedelta(seconds=settings.access_token_ttl_seconds),
            created_at=now,
        )
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
    session.add(
        CNonce(
            nonce_hash=hash_secret(nonce),
            expires_at=now + timedelta(seconds=settings.c_nonce_ttl_seconds),
            created_at=now,
        )
    )
    return NonceResponse(nonce)


def consume_nonce(*, session: Session, nonce: str, now: datetime) -> bool:
    """Use up ``nonce``: True if it was issued here, has not expired and was not used before."""
    params = {"nonce_hash": hash_secret(nonce), "now": now}
    return session.execute(_USE_NONCE, params).first() is not None


def _access_token(session: Session, token: str | None, now: datetime) -> AccessToken:
    if not token:
        raise InvalidToken("an access token is required")
    row = session.exec(_TOKEN_BY_HASH, params={"token_hash": hash_secret(token)}).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidToken("the access token is invalid, used or expired")
    return row


def _permit_for(
    session: Session,
    offer: CredentialOffer,
    application: Application,
    settings: IssuerSettings,
    now: datetime,
) -> tuple[Permit, bool]:
    """The permit the offer is for, created on first issuance; and whether it is new."""
    if offer.permit_id is None and application.state == ApplicationState.APPROVED:
        # The application's move is audited first (it takes the audit head before any list
        # row), then the permit it created, naming the offer that was redeemed.
        move(
            session=session,
            lifecycle=APPLICATION_LIFECYCLE,
            entity=application,
            action=ApplicationAction.ISSUE,
            actor=WALLET_ACTOR,
            reason="credential issued to the holder's wallet",
            now=now,
        )
        permit = create_permit(session=session, application=application, settings=settings, now=now)
        append_event(
            session=session,
            actor=WALLET_ACTOR,
            action="permit.create",
            refs={"permit": str(permit.id), "offer": str(offer.id)},
            now=now,
        )
        offer.permit_id = permit.id
        session.add(offer)
        return permit, True
    existing = session.exec(
        _PERMIT_OF_APPLICATION, params={"application_id": application.id}
    ).first()
    if existing is None or (offer.permit_id is not None and existing.id != offer.permit_id):
        raise CredentialRequestDenied("this offer no longer leads to a permit")
    if existing.state != PermitState.ACTIVE:
        raise CredentialRequestDenied("the permit is not active")
    append_event(
        session=session,
        actor=WALLET_ACTOR,
        action="credential.issue",
        refs={"offer": str(offer.id), "permit": str(existing.id)},
        now=now,
    )
    return existing, False


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
    data, and the copies they replace are retired after the grace period.
    """
    token_row = _access_token(session, access_token, now)
    request = CredentialRequest.from_json(body, batch_size=settings.credential_batch_size)
    holder_jwks = verify_proofs(
        request.proofs,
        audience=settings.issuer_url,
        now=int(now.timestamp()),
        nonce_valid=lambda nonce: consume_nonce(session=session, nonce=nonce, now=now),
        algorithms=PROOF_ALGORITHMS,
    )
    # The token row's lock already serialises every request for this offer.
    offer = session.exec(_OFFER_BY_ID, params={"offer_id": token_row.offer_id}).one()
    application = session.exec(
        _APPLICATION_BY_ID, params={"application_id": offer.application_id}
    ).one()
    permit, created = _permit_for(session, offer, application, settings, now)
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
        keep: list[uuid.UUID] = [row.id for row, _ in issued]
        retire_superseded(
            session=session,
            permit_id=permit.id,
            keep=keep,
            settings=settings,
            actor=WALLET_ACTOR,
            now=now,
        )
    token_row.used_at = now
    session.add(token_row)
    return CredentialResponse(tuple(serialized for _, serialized in issued))
