"""Request and response bodies of the wallet API (no secret is ever a field here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccountCreate",
    "AccountPublic",
    "GrantCreate",
    "GrantOut",
    "HistoryOut",
    "OfferIn",
    "OfferInfo",
    "PaperOut",
    "PermitDetailOut",
    "PermitOut",
    "PresentationIn",
    "PresentationOut",
    "PreviewOut",
    "ProfileOut",
    "ReceivedOut",
    "RequestAnswerIn",
    "RequestAnswerOut",
    "RequestIn",
    "RequestPreviewOut",
    "ScanOut",
    "SessionOut",
    "TokenOut",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(_In):
    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    display_name: str = Field(min_length=1, max_length=64)


class AccountPublic(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the RFC 6750 type name
    expires_in: int


class SessionOut(BaseModel):
    username: str
    display_name: str
    expires_at: datetime


class OfferIn(_In):
    offer: str = Field(min_length=1, max_length=8192)
    tx_code: str | None = Field(default=None, max_length=64)


class OfferInfo(BaseModel):
    credential_issuer: str
    tx_code_required: bool
    tx_code_length: int | None
    tx_code_input_mode: str | None
    tx_code_description: str | None


class ReceivedOut(BaseModel):
    permit_id: uuid.UUID
    copies: int
    replaced: int
    renewed: bool


class ScanOut(BaseModel):
    kind: Literal["credential_offer", "presentation_request", "unknown"]
    text: str


class PermitOut(BaseModel):
    id: uuid.UUID
    issuer: str
    permit_no: str | None
    name: str | None
    permit_class: str | None
    endorsed_until: str | None
    expires_at: datetime
    status: str
    due_for_endorsement: bool
    copies: int
    paper_available: bool
    delegated_by: str | None


class PermitDetailOut(PermitOut):
    claims: dict[str, Any]


class ProfileOut(BaseModel):
    name: str
    claims: list[str]
    paper: bool
    verifier_bound: bool
    description: str


class PresentationIn(_In):
    profile: str = Field(min_length=1, max_length=64)


class PreviewOut(BaseModel):
    permit_id: uuid.UUID
    profile: str
    audience: str | None
    verifier_bound: bool
    paper: bool
    paths: list[str]
    claims: dict[str, Any]


class PresentationOut(BaseModel):
    profile: str
    audience: str
    qr_text: str
    presentation: str
    iat: int | None
    nonce: str | None
    paths: list[str]
    refresh_seconds: int


class HistoryOut(BaseModel):
    at: datetime
    permit_id: uuid.UUID
    profile: str
    audience: str
    channel: str
    actor: str
    holder: str
    via_helper: bool


class RequestIn(_In):
    request: str = Field(min_length=1, max_length=4096)
    permit_id: uuid.UUID | None = None


class RequestPreviewOut(BaseModel):
    verifier_origin: str
    client_id: str
    profile: str
    known_profile: bool
    paths: list[str]
    beyond_profile: list[str]
    claims: dict[str, Any] | None


class RequestAnswerIn(_In):
    request: str = Field(min_length=1, max_length=4096)
    permit_id: uuid.UUID
    consent: bool
    delivery: Literal["direct_post", "qr"] = "direct_post"


class RequestAnswerOut(BaseModel):
    delivered: bool
    verifier_status: int | None
    qr_text: str | None
    profile: str
    audience: str


class GrantCreate(_In):
    helper_username: str = Field(min_length=3, max_length=64)
    permit_id: uuid.UUID | None = None
    profiles: list[str] = Field(default_factory=list, max_length=16)
    days: int = Field(default=30, ge=1)


class GrantOut(BaseModel):
    id: uuid.UUID
    holder: str
    helper: str
    permit_id: uuid.UUID | None
    profiles: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class PaperField(BaseModel):
    claim: str
    label_zh: str
    label_en: str
    value: str


class PaperQrOut(BaseModel):
    profile: str
    qr_text: str


class PaperOut(BaseModel):
    permit_id: uuid.UUID
    fields: list[PaperField]
    qrs: list[PaperQrOut]
