"""Receiving permits: redeem an OpenID4VCI offer, keep the copies, retire what they replace.

Flow (docs/openid4vci.md): parse the offer (untrusted input) → is the issuer accepted? →
reserve the offer → discovery → token (pre-authorized code + PIN) → ``c_nonce`` → one fresh
holder key per copy, one proof each, one batch Credential Request → every copy checked as a
verifier would (:mod:`wallet_api.receipt`) → store keys and credentials encrypted.

**Redeemed twice.** The offer's pre-authorized code is kept as a hash. A reservation row is
committed *before* the issuer is contacted, so a second submission (same holder or another,
same worker or another) is refused with 409 instead of racing, and nothing is stored twice. A
failed attempt removes its reservation (a mistyped PIN may be retried); a stale reservation
(crashed worker) expires after :data:`RESERVATION_SECONDS`.

**Renewal and change.** The issuer answers a renewal (签注) or change of data with a new offer
for the *same* permit number. The wallet recognises it by ``permit_ref`` (keyed hash of issuer
and number) and drops the old copies, keys included, in the transaction that stores the new
ones (the issuer marks them retired on its side).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from keys.generate import KeyAlg, generate_private_key
from wallet_api.db import session_scope
from wallet_api.errors import OfferAlreadyRedeemed, OfferInProgress, UntrustedIssuer
from wallet_api.models import CredentialCopy, OfferRedemption, WalletPermit
from wallet_api.oid4vci_client import Discovery, IssuerClient
from wallet_api.receipt import ReceivedCredential, check_received, holder_thumbprint
from wallet_api.settings import WalletSettings
from wallet_api.vault import Vault
from wire.errors import InvalidInput
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.oid4vci import (
    CONFIGURATION_ID,
    CredentialOffer,
    CredentialOfferReference,
    InvalidCredentialOffer,
    InvalidIssuerResponse,
    hash_secret,
    parse_offer_uri,
)

__all__ = ["RESERVATION_SECONDS", "Received", "parse_offer", "redeem_offer", "store_copies"]

#: A pending reservation older than this is taken to belong to a crashed attempt.
RESERVATION_SECONDS: Final = 120


@dataclass(frozen=True, slots=True)
class Received:
    permit_id: uuid.UUID
    copies: int
    replaced: int
    renewed: bool


def parse_offer(text: str, *, settings: WalletSettings) -> CredentialOffer:
    """Parse a scanned or pasted offer and check the wallet accepts its issuer."""
    offer = parse_offer_uri(text.strip(), allow_insecure_loopback=settings.allow_insecure_loopback)
    if isinstance(offer, CredentialOfferReference):
        raise InvalidCredentialOffer(
            "offers passed by reference are not supported; show the offer QR code itself"
        )
    if settings.trusted_issuers and offer.credential_issuer not in settings.trusted_issuers:
        raise UntrustedIssuer()
    if CONFIGURATION_ID not in offer.credential_configuration_ids:
        raise InvalidCredentialOffer("the offer is not for a residence permit")
    return offer


def _check_tx_code(offer: CredentialOffer, tx_code: str | None) -> str | None:
    if offer.tx_code is None:
        return None  # §6.1: send none when the offer asks for none
    if not tx_code:
        raise InvalidInput("this offer needs the PIN sent to you separately", field="tx_code")
    spec = offer.tx_code
    if len(tx_code) > 64 or (spec.length is not None and len(tx_code) != spec.length):
        raise InvalidInput("the PIN has the wrong length", field="tx_code")
    if spec.input_mode in (None, "numeric") and not (tx_code.isascii() and tx_code.isdigit()):
        raise InvalidInput("the PIN must be digits", field="tx_code")
    return tx_code


def _reserve(engine: Engine, code_hash: str, account_id: uuid.UUID, now: datetime) -> None:
    try:
        with session_scope(engine) as session:
            row = session.get(OfferRedemption, code_hash, with_for_update=True)
            if row is not None and row.state == "redeemed":
                raise OfferAlreadyRedeemed()
            if row is not None and row.reserved_at > now - timedelta(seconds=RESERVATION_SECONDS):
                raise OfferInProgress()
            if row is None:
                row = OfferRedemption(
                    code_hash=code_hash, account_id=account_id, state="pending", reserved_at=now
                )
            row.account_id, row.reserved_at = account_id, now
            session.add(row)
    except IntegrityError:
        raise OfferInProgress() from None


def _release(engine: Engine, code_hash: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            delete(OfferRedemption)
            .where(col(OfferRedemption.code_hash) == code_hash)
            .where(col(OfferRedemption.state) == "pending")
        )


def _proof_alg(discovery: Discovery) -> KeyAlg:
    algs = discovery.metadata.proof_signing_algs
    if "ES256" in algs:
        return "ES256"
    if "EdDSA" in algs:
        return "EdDSA"
    raise InvalidIssuerResponse("the issuer accepts no proof algorithm this wallet has")


def _fetch(
    client: IssuerClient,
    offer: CredentialOffer,
    tx_code: str | None,
    *,
    settings: WalletSettings,
    now: datetime,
    key_factory: Callable[[KeyAlg], PrivateKey],
) -> list[tuple[PrivateKey, ReceivedCredential]]:
    discovery = client.discover(offer.credential_issuer)
    token = client.token(discovery, offer, tx_code)
    count = min(settings.copies_per_permit, discovery.metadata.batch_size)
    alg = _proof_alg(discovery)
    keys = [key_factory(alg) for _ in range(count)]
    by_thumbprint = {thumbprint(public_jwk(key)): key for key in keys}
    issued = client.credentials(discovery, token.access_token, keys, now=int(now.timestamp()))
    received: list[tuple[PrivateKey, ReceivedCredential]] = []
    for serialized in issued:
        key = by_thumbprint.pop(holder_thumbprint(serialized) or "", None)
        if key is None:
            raise InvalidIssuerResponse("a credential is not bound to a key the wallet sent")
        checked = check_received(
            serialized,
            issuer=offer.credential_issuer,
            jwks=discovery.jwks,
            holder_key=key,
            now=int(now.timestamp()),
        )
        received.append((key, checked))
    if len({item.permit_no for _, item in received}) != 1:
        raise InvalidIssuerResponse("the copies are not of one permit")
    return received


def store_copies(
    *,
    engine: Engine,
    vault: Vault,
    account_id: uuid.UUID,
    issuer: str,
    received: list[tuple[PrivateKey | None, ReceivedCredential]],
    paper: bool,
    now: datetime,
    code_hash: str | None = None,
) -> Received:
    """Store copies of one permit, replacing that permit's copies of the same kind.

    New bound copies replace every stored copy (bound and paper: a paper copy shows the old
    data); a new paper copy replaces only the paper copy.
    """
    permit_no = received[0][1].permit_no
    ref = vault.permit_ref(issuer, permit_no)
    with session_scope(engine) as session:
        permit = session.exec(
            select(WalletPermit)
            .where(WalletPermit.account_id == account_id)
            .where(WalletPermit.permit_ref == ref)
            .with_for_update()
        ).first()
        renewed = permit is not None
        replaced = 0
        if permit is None:
            permit = WalletPermit(
                account_id=account_id, issuer=issuer, permit_ref=ref, created_at=now, updated_at=now
            )
            session.add(permit)
            session.flush()
        else:
            statement = delete(CredentialCopy).where(col(CredentialCopy.permit_id) == permit.id)
            if paper:
                statement = statement.where(col(CredentialCopy.paper).is_(True))
            replaced = int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
            permit.updated_at = now
            session.add(permit)
        for slot, (key, item) in enumerate(received):
            copy_id = uuid.uuid4()
            session.add(
                CredentialCopy(
                    id=copy_id,
                    permit_id=permit.id,
                    slot=slot,
                    paper=paper,
                    holder_key=vault.seal_key(copy_id, key) if key is not None else None,
                    credential=vault.seal_credential(copy_id, item.serialized),
                    exp=datetime.fromtimestamp(item.exp, now.tzinfo),
                    created_at=now,
                )
            )
        if code_hash is not None:
            redemption = session.get(OfferRedemption, code_hash, with_for_update=True)
            if redemption is None or redemption.state != "pending":
                raise OfferAlreadyRedeemed()  # rolls the copies back: nothing stored twice
            redemption.state, redemption.redeemed_at = "redeemed", now
            session.add(redemption)
        return Received(permit.id, len(received), replaced, renewed)


def redeem_offer(
    *,
    engine: Engine,
    client: IssuerClient,
    vault: Vault,
    settings: WalletSettings,
    account_id: uuid.UUID,
    offer_text: str,
    tx_code: str | None,
    now: datetime,
    key_factory: Callable[[KeyAlg], PrivateKey] = generate_private_key,
) -> Received:
    """Redeem an offer for ``account_id`` and store the copies; see the module docstring."""
    offer = parse_offer(offer_text, settings=settings)
    pin = _check_tx_code(offer, tx_code)
    code_hash = hash_secret(offer.pre_authorized_code)
    _reserve(engine, code_hash, account_id, now)
    try:
        received = _fetch(client, offer, pin, settings=settings, now=now, key_factory=key_factory)
    except BaseException:
        _release(engine, code_hash)
        raise
    return store_copies(
        engine=engine,
        vault=vault,
        account_id=account_id,
        issuer=offer.credential_issuer,
        received=[(key, item) for key, item in received],
        paper=False,
        now=now,
        code_hash=code_hash,
    )
