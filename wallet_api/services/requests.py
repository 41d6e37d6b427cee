"""Answering a verifier's own request (DESIGN §3 verifier-bound; OpenID4VP 1.0 cross-device).

The holder scans or pastes the verifier's ``openid4vp://`` request. The wallet parses it
strictly (:func:`wire.vprequest.parse_request_uri`) and shows *who* asks — the origin of the
``response_uri``, which the ``client_id`` (``redirect_uri:`` + that URI) names — and *for
what*: the claim paths of its DCQL query, flagging any beyond the profile of the same name.
Only after the holder consents does the wallet build a presentation of exactly those paths
with ``aud`` = ``client_id`` and ``nonce`` = the request's nonce, and either POST it
(``direct_post``: ``vp_token`` and ``state``, form-encoded) to ``response_uri`` or show it back
as a QR code. Nothing is kept of a request the holder did not answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from wallet_api.db import session_scope
from wallet_api.errors import VerifierUnavailable
from wallet_api.models import Account
from wallet_api.outbound import Outbound, UrlRefused
from wallet_api.services.permits import permit_access
from wallet_api.services.presentations import Presentation, present
from wallet_api.settings import WalletSettings
from wallet_api.vault import Vault
from wire.errors import Forbidden
from wire.profiles import Profile
from wire.vprequest import VerifierRequest, parse_request_uri, vp_token_form

__all__ = [
    "Answer",
    "Delivery",
    "RequestSummary",
    "answer_request",
    "parse_request",
    "summarize_request",
]

Delivery = Literal["direct_post", "qr"]


@dataclass(frozen=True, slots=True)
class RequestSummary:
    request: VerifierRequest
    verifier_origin: str
    known_profile: Profile | None
    #: Requested paths beyond the profile of the same name (shown as a warning).
    beyond_profile: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    presentation: Presentation
    delivered: bool
    verifier_status: int | None


def parse_request(text: str, *, settings: WalletSettings) -> VerifierRequest:
    return parse_request_uri(text.strip(), allow_insecure_loopback=settings.allow_insecure_loopback)


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def summarize_request(request: VerifierRequest, profiles: Mapping[str, Profile]) -> RequestSummary:
    known = profiles.get(request.profile)
    allowed = set(known.claims) if known is not None else set()
    beyond = tuple(
        path for path in request.claims if path not in allowed and path.split(".")[0] not in allowed
    )
    return RequestSummary(request, _origin(request.response_uri), known, beyond)


def answer_request(
    *,
    engine: Engine,
    vault: Vault,
    profiles: Mapping[str, Profile],
    outbound: Outbound,
    actor: Account,
    permit_id: uuid.UUID,
    request: VerifierRequest,
    delivery: Delivery,
    now: datetime,
) -> Answer:
    """Present exactly the requested claims to the requesting verifier (after consent).

    A helper may answer only a request that stays within the granted profile's claims.
    """
    summary = summarize_request(request, profiles)
    wanted = Profile(request.profile, request.claims, paper=False, verifier_bound=True)
    with session_scope(engine) as session:
        access = permit_access(
            session=session, actor=actor, permit_id=permit_id, now=now, profile=request.profile
        )
        if not access.is_owner and (summary.known_profile is None or summary.beyond_profile):
            raise Forbidden("a helper may answer only requests within the granted profile")
        presentation = present(
            session=session,
            vault=vault,
            profiles=profiles,
            access=access,
            profile=wanted,
            now=now,
            channel="direct_post" if delivery == "direct_post" else "request_qr",
            audience=request.client_id,
            nonce=request.nonce,
        )
    if delivery == "qr":
        return Answer(presentation, False, None)
    try:
        reply = outbound.request(
            "POST",
            request.response_uri,
            data=vp_token_form(presentation.text, request.state),
            headers={"Accept": "application/json"},
        )
    except (UrlRefused, Outbound.Unreachable):
        raise VerifierUnavailable() from None
    return Answer(presentation, 200 <= reply.status < 300, reply.status)
