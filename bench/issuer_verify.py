"""The check after an issuer benchmark run, outside the timing: only valid issuance counts.

Every credential verifies with the real pipeline (key-bound ones with a KB-JWT, paper ones for
a paper profile), no status entry is shared, and the audit chain is intact.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from issuer.audit import verify_stored_chain
from issuer.models import metadata
from issuer.services.status_lists import status_list_prefix
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from wire.jwk import PrivateKey
from wire.presentation import create_presentation
from wire.profiles import Profile, load_profiles
from wire.trust import TrustList, status_uri_allowed
from wire.verify import IssuerTrust, check_presentation


class _DatabaseStatus:
    """Status entries straight from the allocation table (no status endpoint in-process)."""

    def __init__(self, engine: Engine, settings: IssuerSettings) -> None:
        self._engine = engine
        self._prefix = status_list_prefix(settings)

    def __call__(self, issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        del issuer, now
        allocations = metadata.tables["status_allocation"]
        statement = select(allocations.c.status).where(
            allocations.c.list_id == int(uri.removeprefix(self._prefix)),
            allocations.c.idx == idx,
        )
        with Session(self._engine) as session:
            return int(session.execute(statement).scalar_one())


def verify_issued(
    engine: Engine,
    settings: IssuerSettings,
    ring: KeyRing,
    issued: list[tuple[str, PrivateKey | None]],
    now: datetime,
) -> dict[str, Any]:
    """Check, outside the timing, what a run wrote: every credential verifies with the real
    pipeline (key-bound ones with a KB-JWT, paper ones for a paper profile), no status entry
    is shared, and the audit chain is intact."""
    entry = {
        "iss": settings.issuer_url,
        "name": "bench",
        "region_code": "310000",
        "jwks": ring.jwks(),
        "status_list_prefixes": [status_list_prefix(settings)],
    }
    directory = TrustList.from_json(
        {"version": 1, "issuers": [entry]}, allow_insecure_loopback=True
    )
    lookup = _DatabaseStatus(engine, settings)
    profiles = load_profiles()
    bound = Profile("any", (), paper=False, verifier_bound=False)
    valid = 0
    for credential, key in issued:
        profile = bound if key is not None else profiles["landlord"]
        paths = ["permit_no", "name"] if key is not None else list(profile.claims)
        presentation = create_presentation(
            credential, paths, holder_key=key, nonce=uuid.uuid4().hex, iat=int(now.timestamp())
        )
        result = check_presentation(
            presentation,
            profile=profile,
            directory=directory,
            now=int(now.timestamp()),
            status_lookup=lookup,
            uri_allowed=lambda uri, prefixes: status_uri_allowed(
                uri, prefixes, allow_insecure_loopback=True
            ),
        )
        valid += result.valid and result.status == "valid"
    credentials = metadata.tables["credential"]
    with Session(engine) as session:
        stored, distinct = session.execute(
            select(
                func.count(),
                func.count(
                    func.distinct(credentials.c.status_list_id * 2**24 + credentials.c.status_idx)
                ),
            ).select_from(credentials)
        ).one()
        chain = verify_stored_chain(session)
    if valid != len(issued) or stored != distinct or not chain.ok:
        raise AssertionError(f"issued {len(issued)}, valid {valid}, chain {chain}")
    return {
        "verified": valid,
        "unique_status_entries": int(distinct),
        "audit_events": chain.checked,
    }
