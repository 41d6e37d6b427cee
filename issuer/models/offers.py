"""OpenID4VCI state: credential offers, access tokens and ``c_nonce`` values (issue 3 §4).

Only hashes are stored. The pre-authorized code and the tx_code of an offer are derived from
``offer_secret`` and the offer id (:mod:`issuer.services.offers`), so an officer can show an
offer again, yet a reader of the database alone can redeem nothing. Redemption flips
``redeemed`` under a row lock, once; a wrong tx_code increments ``tx_code_failures`` and the
offer is burned at the configured limit. Access tokens and nonces are 256-bit random values
kept as SHA-256 hashes with an expiry; a nonce row is deleted when used (single use).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel

__all__ = ["OFFER_PURPOSES", "AccessToken", "CNonce", "CredentialOffer"]

#: Why an offer exists: first issuance, annual endorsement, change of data, or a fresh copy.
OFFER_PURPOSES = ("issue", "renew", "change", "reissue")


class CredentialOffer(IssuerModel, table=True):
    __tablename__ = "credential_offer"
    __table_args__ = (
        CheckConstraint("purpose IN ('issue', 'renew', 'change', 'reissue')", name="purpose"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True)
    permit_id: uuid.UUID | None = Field(default=None, foreign_key="permit.id", index=True)
    pre_authorized_code_hash: str = Field(max_length=64, unique=True)
    tx_code_hash: str | None = Field(default=None, max_length=255)
    expires_at: datetime = Field(sa_type=TZDateTime)
    redeemed: bool = Field(default=False)
    redeemed_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    created_at: datetime = Field(sa_type=TZDateTime)
    purpose: str = Field(default="issue", max_length=16)
    tx_code_failures: int = Field(default=0)
    #: Set when a newer offer for the same application replaced this one before redemption.
    voided_at: datetime | None = Field(default=None, sa_type=TZDateTime)


class AccessToken(IssuerModel, table=True):
    """A Bearer access token of the token endpoint (§6.2), good for one Credential Request."""

    __tablename__ = "access_token"

    token_hash: str = Field(max_length=64, primary_key=True)
    offer_id: uuid.UUID = Field(foreign_key="credential_offer.id", index=True)
    expires_at: datetime = Field(sa_type=TZDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    created_at: datetime = Field(sa_type=TZDateTime)


class CNonce(IssuerModel, table=True):
    """A ``c_nonce`` from the nonce endpoint (§7); the row is deleted when a proof uses it."""

    __tablename__ = "c_nonce"

    nonce_hash: str = Field(max_length=64, primary_key=True)
    expires_at: datetime = Field(sa_type=TZDateTime, index=True)
    created_at: datetime = Field(sa_type=TZDateTime)
