"""Verifier-bound requests end to end (DESIGN §3; OpenID4VP 1.0 cross-device, ``direct_post``).

1. :func:`create_request` — the account's profile, a fresh 256-bit nonce, a ``state`` and an
   expiry; ``response_uri`` = ``<public base>/v1/requests/<id>/response``, so ``client_id`` (the
   KB-JWT ``aud``) names this verifier and this request. Shown as an ``openid4vp://`` QR code.
2. :func:`answer_request` — the wallet posts ``vp_token`` and ``state``; the presentation is
   verified with ``audience`` = ``client_id`` and ``nonce`` = the request's nonce (a nonce the
   verifier did not issue is ``holder_binding_invalid``). The first valid answer completes the
   request atomically; any later answer is ``replayed``. Rejected answers leave it open until
   it expires, so the holder may try again (e.g. with a reinstated permit).
3. :func:`view_request` — what the verifier page polls: pending, valid, rejected or expired.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from verifier.service.accounts import Account
from verifier.service.core import VerifierService
from verifier.service.records import record_verification
from verifier.service.requests import RequestRecord
from wire.errors import InvalidInput, NotFound, PermitError
from wire.verify import VerificationResult
from wire.vprequest import parse_vp_token_form

__all__ = ["RequestRefused", "RequestStatus", "answer_request", "create_request", "view_request"]

RequestStatus = Literal["pending", "valid", "rejected", "expired"]


class RequestRefused(PermitError):
    """The answer does not fit an open request; ``code`` says why (answered with 400)."""

    code = "invalid_request"
    default_message = "the answer does not match an open request"

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    request: RequestRecord
    result: VerificationResult


def create_request(*, service: VerifierService, account: Account, now: int) -> RequestRecord:
    """A new request for the account's profile (any profile; bank/hospital/agency need one)."""
    settings = service.settings
    profile = service.profiles[account.profile]
    request_id = secrets.token_urlsafe(18)
    record = RequestRecord(
        id=request_id,
        account=account.id,
        profile=profile.name,
        claims=profile.claims,
        nonce=secrets.token_urlsafe(32),
        state=secrets.token_urlsafe(16),
        response_uri=f"{settings.base_url}/v1/requests/{request_id}/response",
        created_at=now,
        expires_at=now + settings.request_ttl_seconds,
    )
    service.requests.put(record, ttl=settings.request_ttl_seconds + settings.result_ttl_seconds)
    return record


def answer_request(
    *, service: VerifierService, request_id: str, fields: Mapping[str, str], now: int
) -> RequestOutcome:
    """Verify the wallet's ``direct_post`` answer to request ``request_id``."""
    view = service.requests.get(request_id)
    if view is None:
        raise RequestRefused("unknown_request")
    record = view.record
    try:
        presentation, state = parse_vp_token_form(fields)
    except InvalidInput:
        raise RequestRefused("invalid_vp_token") from None
    if not hmac.compare_digest(state.encode(), record.state.encode()):
        raise RequestRefused("state_mismatch")
    if now >= record.expires_at:
        raise RequestRefused("request_expired")
    profile = service.profiles[record.profile]
    result = service.verify(
        presentation,
        profile=profile,
        account=None,
        channel="request",
        now=now,
        audience=record.client_id,
        nonce=record.nonce,
        record=False,
    )
    ttl = service.settings.result_ttl_seconds + (record.expires_at - now)
    if result.valid:
        if not service.requests.complete(record.id, result.to_json(), ttl=ttl):
            # Another answer completed the request first: its nonce is spent (DESIGN §3).
            result = VerificationResult(False, "replayed", None, profile.name, {}, None)
            service.requests.attempt(record.id, result.to_json(), ttl=ttl)
    else:
        service.requests.attempt(record.id, result.to_json(), ttl=ttl)
    record_verification(result, channel="request", account=record.account, now=now)
    return RequestOutcome(record, result)


def find_request(*, service: VerifierService, account: Account, request_id: str) -> RequestRecord:
    """The account's own request; any other id is 404, like one that never existed."""
    view = service.requests.get(request_id)
    if view is None or view.record.account != account.id:
        raise NotFound("no such request")
    return view.record


def view_request(
    *, service: VerifierService, account: Account, request_id: str, now: int
) -> dict[str, Any]:
    """The request's state for the verifier page; ``result`` is the DESIGN §6 JSON or null."""
    view = service.requests.get(request_id)
    if view is None or view.record.account != account.id:
        raise NotFound("no such request")
    status: RequestStatus
    result: dict[str, Any] | None
    if view.final is not None:
        status, result = "valid", view.final
    elif now >= view.record.expires_at:
        status, result = "expired", view.last
    elif view.last is not None:
        status, result = "rejected", view.last
    else:
        status, result = "pending", None
    return {
        "id": view.record.id,
        "profile": view.record.profile,
        "status": status,
        "created_at": view.record.created_at,
        "expires_at": view.record.expires_at,
        "attempts": view.attempts,
        "result": result,
    }
