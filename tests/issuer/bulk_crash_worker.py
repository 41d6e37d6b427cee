"""An officer's bulk approval in a process of its own, stopped dead before its commit.

``python -m tests.issuer.bulk_crash_worker DATABASE_URL BATCH_ID``

Approves the batch's pending applications in one transaction (every permit, number, status
entry, paper credential, offer, transition and audit event written), prints ``inside N`` (N
permits issued, nothing committed) and sleeps: the test kills it there with SIGKILL.
"""

from __future__ import annotations

import sys
import time
import uuid

from issuer.authz import Principal
from issuer.db import create_engine_for, session_scope, utcnow
from issuer.models import Role
from issuer.services.bulk import MAX_CHUNK, approve_batch
from issuer.settings import IssuerSettings
from keys.ring import KeyRing

#: Long enough for any test to kill the process; it is never meant to elapse.
_PAUSE_SECONDS = 600


def main(argv: list[str]) -> None:
    url, batch_id = argv[1], uuid.UUID(argv[2])
    # Not tests.issuer.conftest.make_settings: importing the fixtures slows every start-up.
    settings = IssuerSettings.model_validate(
        {
            "database_url": url,
            "environment": "test",
            "jwt_secret": "crash-worker-" + "0" * 32,
            "issuer_url": "http://127.0.0.1:8000/issuer",
            "public_base_url": "http://127.0.0.1:8000",
        }
    )
    engine = create_engine_for(settings)
    principal = Principal(uuid.uuid4(), Role.CLERK, "shanghai", mfa=False)
    with session_scope(engine) as session:
        result = approve_batch(
            session=session,
            principal=principal,
            settings=settings,
            ring=KeyRing.generate(),
            batch_id=batch_id,
            reason="employer documents checked",
            limit=MAX_CHUNK,
            now=utcnow(),
        )
        print(f"inside {len(result.issued)}", flush=True)
        time.sleep(_PAUSE_SECONDS)


if __name__ == "__main__":
    main(sys.argv)
