"""Shared pieces of the bulk-issuance tests (``test_bulk_issuance*.py``): a processed employer
batch seeded through the services, row counts, and the landlord's check of a paper credential.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.db import session_scope
from issuer.models import Application, ApplicationCreate, Batch, Employer
from issuer.services.applications import submit_application
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.issuer.batch_helpers import employee
from wire.presentation import create_presentation
from wire.profiles import load_profiles
from wire.trust import TrustList, status_uri_allowed
from wire.verify import StatusLookup, VerificationResult, check_presentation

PROFILES = load_profiles()
LANDLORD = PROFILES["landlord"]
REGISTRATION_PATCH = {"has_residence_proof": False, "housing": "none"}


def paper_result(
    credential: str,
    *,
    directory: TrustList,
    status_lookup: StatusLookup,
    now: datetime,
) -> VerificationResult:
    """The landlord's check of a paper presentation (no KB-JWT) of ``credential``."""
    presentation = create_presentation(credential, list(LANDLORD.claims), holder_key=None)
    return check_presentation(
        presentation,
        profile=LANDLORD,
        directory=directory,
        now=int(now.timestamp()),
        status_lookup=status_lookup,
        uri_allowed=lambda uri, prefixes: status_uri_allowed(
            uri, prefixes, allow_insecure_loopback=True
        ),
    )


def seed_batch(
    engine: Engine,
    settings: IssuerSettings,
    clock: FakeClock,
    rows: int,
    *,
    state: str = "done",
    first: int = 1,
    registration_rows: frozenset[int] = frozenset(),
) -> uuid.UUID:
    """A processed employer batch written through the services (no upload, no worker)."""
    with session_scope(engine) as session:
        employer = Employer(
            name="测试公司",
            jurisdiction="shanghai",
            api_key_hash=uuid.uuid4().hex,
            created_at=clock(),
        )
        session.add(employer)
        session.flush()
        batch = Batch(
            employer_id=employer.id,
            jurisdiction="shanghai",
            state=state,
            total=rows,
            done=rows,
            errors=[],
            created_at=clock(),
            updated_at=clock(),
        )
        session.add(batch)
        session.flush()
        for row in range(1, rows + 1):
            body = employee(first + row)
            if row in registration_rows:
                body["facts"] = {**body["facts"], **REGISTRATION_PATCH}
            application, _ = submit_application(
                session=session,
                data=ApplicationCreate.model_validate(body),
                served=settings.jurisdictions,
                now=clock(),
            )
            application.batch_id = batch.id
            application.batch_row = row
            session.add(application)
        return batch.id


def states(engine: Engine, batch_id: uuid.UUID) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(col(Application.state), func.count())
            .where(col(Application.batch_id) == batch_id)
            .group_by(col(Application.state))
        ).all()
    return {str(state): int(n) for state, n in rows}
