"""Wallet tables (SQLModel, own registry) and the public shapes built from them.

Secrets exist only on table models (CONVENTIONS §11): password hashes, session-token hashes,
encrypted holder keys and encrypted credentials never appear in a response model. Credentials
and holder keys are stored encrypted (:mod:`wallet_api.vault`); a permit number is stored only
as a keyed hash (``permit_ref``), which is enough to recognise a renewed permit. The disclosure
history records who, which profile, for whom and when, never a disclosed value.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    LargeBinary,
    MetaData,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from wallet_api.db import TZDateTime

__all__ = [
    "CHANNELS",
    "Account",
    "CredentialCopy",
    "DisclosureEvent",
    "HelperGrant",
    "LoginFailure",
    "OfferRedemption",
    "SessionToken",
    "WalletModel",
    "WalletPermit",
    "metadata",
]

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)
_registry = registry(metadata=metadata)

#: How a presentation left the wallet: live QR (JSON for the page), server-rendered QR images,
#: the OpenID4VP direct_post to a verifier, a QR answering a verifier request, the paper permit.
CHANNELS: Final = ("qr", "qr_png", "qr_svg", "direct_post", "request_qr", "paper")


class WalletModel(SQLModel, registry=_registry):
    """Base of every wallet table; they land in :data:`metadata`, apart from the issuer's."""


def _fk(target: str, *, ondelete: str = "CASCADE", nullable: bool = False) -> Column[uuid.UUID]:
    return Column(Uuid(), ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


class Account(WalletModel, table=True):
    """A holder (and possibly a helper for other holders)."""

    __tablename__ = "wallet_account"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=64)
    password_hash: str = Field(max_length=256)
    created_at: datetime = Field(sa_type=TZDateTime)


class SessionToken(WalletModel, table=True):
    """A login session: only the SHA-256 of the bearer token is kept."""

    __tablename__ = "wallet_session"

    token_hash: str = Field(max_length=64, primary_key=True)
    account_id: uuid.UUID = Field(sa_column=_fk("wallet_account.id"))
    created_at: datetime = Field(sa_type=TZDateTime)
    expires_at: datetime = Field(sa_type=TZDateTime, index=True)


class LoginFailure(WalletModel, table=True):
    """One failed login, keyed by a hash of (username, client address); shared by workers."""

    __tablename__ = "wallet_login_failure"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_type=TZDateTime)


class OfferRedemption(WalletModel, table=True):
    """A credential offer this wallet redeemed or is redeeming (hash of its pre-authorized code).

    ``pending`` reserves the offer while the wallet talks to the issuer, so a second submission
    is refused instead of racing; a failed attempt removes the reservation (a wrong PIN may be
    retried), a successful one becomes ``redeemed`` for good.
    """

    __tablename__ = "wallet_offer_redemption"
    __table_args__ = (CheckConstraint("state IN ('pending', 'redeemed')", name="state"),)

    code_hash: str = Field(max_length=64, primary_key=True)
    account_id: uuid.UUID = Field(sa_column=_fk("wallet_account.id"))
    state: str = Field(max_length=16)
    reserved_at: datetime = Field(sa_type=TZDateTime)
    redeemed_at: datetime | None = Field(default=None, sa_type=TZDateTime)


class WalletPermit(WalletModel, table=True):
    """One permit of one holder: the copies of its current credential hang off it."""

    __tablename__ = "wallet_permit"
    __table_args__ = (UniqueConstraint("account_id", "permit_ref"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(sa_column=_fk("wallet_account.id"))
    issuer: str = Field(max_length=2048)
    #: HMAC of (issuer, permit_no) under the wallet secret: recognises renewals, reveals nothing.
    permit_ref: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=TZDateTime)
    updated_at: datetime = Field(sa_type=TZDateTime)


class CredentialCopy(WalletModel, table=True):
    """One issued SD-JWT VC, encrypted; ``paper`` copies have no holder key (DESIGN §3)."""

    __tablename__ = "wallet_credential"
    __table_args__ = (UniqueConstraint("permit_id", "paper", "slot"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    permit_id: uuid.UUID = Field(sa_column=_fk("wallet_permit.id"))
    #: Which kind of verifier this copy is shown to (unlinkability across verifiers).
    slot: int = Field(ge=0)
    paper: bool = False
    #: Encrypted PKCS#8 PEM of the holder key (None for a paper copy).
    holder_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    #: AES-256-GCM ciphertext of the serialised SD-JWT.
    credential: bytes = Field(sa_type=LargeBinary)
    exp: datetime = Field(sa_type=TZDateTime)
    created_at: datetime = Field(sa_type=TZDateTime)


class HelperGrant(WalletModel, table=True):
    """A holder's revocable permission for a helper (帮办代办) to present on their behalf."""

    __tablename__ = "wallet_helper_grant"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    holder_id: uuid.UUID = Field(sa_column=_fk("wallet_account.id"))
    helper_id: uuid.UUID = Field(sa_column=_fk("wallet_account.id"))
    #: None: every permit of the holder.
    permit_id: uuid.UUID | None = Field(
        default=None, sa_column=_fk("wallet_permit.id", nullable=True)
    )
    #: Space-separated profile names; empty: every profile.
    profiles: str = Field(default="", max_length=512)
    created_at: datetime = Field(sa_type=TZDateTime)
    expires_at: datetime = Field(sa_type=TZDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=TZDateTime)


class DisclosureEvent(WalletModel, table=True):
    """One presentation that left the wallet: who, which profile, to whom, when; no values."""

    __tablename__ = "wallet_disclosure"
    __table_args__ = (
        CheckConstraint(
            "channel IN ('qr', 'qr_png', 'qr_svg', 'direct_post', 'request_qr', 'paper')",
            name="channel",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: The holder whose permit was presented (history owner).
    holder_id: uuid.UUID = Field(sa_column=_fk("wallet_account.id"))
    #: Who pressed the button: the holder or a helper.
    actor_id: uuid.UUID = Field(sa_column=_fk("wallet_account.id"))
    grant_id: uuid.UUID | None = Field(
        default=None, sa_column=_fk("wallet_helper_grant.id", ondelete="SET NULL", nullable=True)
    )
    #: Plain id, no foreign key: the history outlives a permit the holder removed.
    permit_id: uuid.UUID
    profile: str = Field(max_length=64)
    #: ``urn:residence-permit:qr`` or the verifier's ``client_id``.
    audience: str = Field(max_length=2048)
    channel: str = Field(max_length=16)
    at: datetime = Field(sa_type=TZDateTime, index=True)
