"""One issuing process of the PostgreSQL concurrency test (imported by spawned processes).

It submits its applications, waits for the common start signal, then runs each one through
the issuance services exactly as the HTTP routes do (approve with offer, token, nonce,
credential with several key proofs), one transaction per step.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from issuer.authz import Principal
from issuer.db import create_engine_for, session_scope
from issuer.models import ApplicationCreate, Role
from issuer.services.applications import submit_application
from issuer.services.offers import approve_with_offer
from issuer.services.oid4vci import issue_credentials, new_nonce, redeem_pre_authorized_code
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from tests.issuer.helpers import application_body, id_number
from wire.oid4vci import (
    CredentialOffer,
    CredentialRequest,
    TokenRequest,
    TokenResponse,
    build_proof_jwt,
    parse_offer_uri,
)

START = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)


def settings_for(url: str) -> IssuerSettings:
    """Small (1,024-entry) lists, so that one fills up while all processes draw from it."""
    return IssuerSettings.load(
        environment="test", database_url=url, status_refresh_seconds=0, status_list_size=1024
    )


def run_worker(url: str, worker: int, permits: int, copies: int, start: Any, out: Any) -> None:
    """Issue ``permits`` permits of ``copies`` credentials each; put a report on ``out``."""
    settings = settings_for(url)
    engine = create_engine_for(settings)
    ring = KeyRing.generate()
    principal = Principal(uuid.uuid4(), Role.CLERK, "shanghai", mfa=False)
    now = START + timedelta(seconds=worker)
    try:
        with session_scope(engine) as session:
            ids = []
            for n in range(permits):
                day = 1 + (worker * permits + n) % 28
                body = application_body(
                    birth_date=f"1990-03-{day:02d}", id_number=id_number(f"199003{day:02d}")
                )
                application, _ = submit_application(
                    session=session,
                    data=ApplicationCreate.model_validate(body),
                    served=settings.jurisdictions,
                    now=now,
                )
                ids.append(application.id)
        start.wait(60)
        issued = 0
        for application_id in ids:
            with session_scope(engine) as session:
                _, offer = approve_with_offer(
                    session=session,
                    principal=principal,
                    settings=settings,
                    application_id=application_id,
                    reason="concurrency test",
                    now=now,
                )
            parsed = parse_offer_uri(offer.offer_uri, allow_insecure_loopback=True)
            assert isinstance(parsed, CredentialOffer)
            with session_scope(engine) as session:
                token = redeem_pre_authorized_code(
                    session=session,
                    request=TokenRequest(parsed.pre_authorized_code, tx_code=offer.tx_code),
                    settings=settings,
                    now=now,
                )
            assert isinstance(token, TokenResponse)
            with session_scope(engine) as session:
                nonce = new_nonce(session=session, settings=settings, now=now).c_nonce
            proofs = tuple(
                build_proof_jwt(
                    holder_key=ec.generate_private_key(ec.SECP256R1()),
                    audience=settings.issuer_url,
                    nonce=nonce,
                    iat=int(now.timestamp()),
                )
                for _ in range(copies)
            )
            request = json.dumps(CredentialRequest(proofs).to_json()).encode()
            with session_scope(engine) as session:
                response = issue_credentials(
                    session=session,
                    access_token=token.access_token,
                    body=request,
                    settings=settings,
                    ring=ring,
                    now=now,
                )
            issued += len(response.credentials)
        out.put({"worker": worker, "issued": issued, "error": None})
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        out.put({"worker": worker, "issued": 0, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        engine.dispose()
