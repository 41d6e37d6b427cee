"""OpenID4VCI credential offers (pre-authorized code flow, optional ``tx_code``; issue 3 §4).

Only hashes of the pre-authorized code and of the transaction code are stored: a database
reader cannot redeem an offer. Redemption flips ``redeemed`` under a row lock, once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from issuer.db import TZDateTime
from issuer.models._base import IssuerModel

__all__ = ["CredentialOffer"]


class CredentialOffer(IssuerModel, table=True):
    __tablename__ = "credential_offer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True)
    permit_id: uuid.UUID | None = Field(default=None, foreign_key="permit.id", index=True)
    pre_authorized_code_hash: str = Field(max_length=64, unique=True)
    tx_code_hash: str | None = Field(default=None, max_length=255)
    expires_at: datetime = Field(sa_type=TZDateTime)
    redeemed: bool = Field(default=False)
    redeemed_at: datetime | None = Field(default=None, sa_type=TZDateTime)
    created_at: datetime = Field(sa_type=TZDateTime)
