"""Application services: atomic units of work, injected randomness, concurrent decisions."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer.authz import Principal
from issuer.db import session_scope
from issuer.models import Application, Transition
from issuer.models.applications import ApplicationCreate
from issuer.models.officers import Role
from issuer.services.applications import (
    approve_application,
    evaluate_eligibility,
    reject_application,
    submit_application,
)
from permit_cli.demo.applicants import REGISTRATION_FACTS
from tests.clock import FakeClock
from tests.issuer.helpers import application_body
from wire.errors import Conflict, InvalidInput, ServiceUnavailable

SERVED = ("shanghai", "chengdu")


def clerk() -> Principal:
    return Principal(officer_id=uuid.uuid4(), role=Role.CLERK, jurisdiction="shanghai", mfa=False)


def new_application(engine: Engine, clock: FakeClock) -> uuid.UUID:
    with session_scope(engine) as session:
        application, _ = submit_application(
            session=session,
            data=ApplicationCreate.model_validate(application_body()),
            served=SERVED,
            now=clock(),
        )
        return application.id


def test_status_token_comes_from_the_injected_source(engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        _, token = submit_application(
            session=session,
            data=ApplicationCreate.model_validate(application_body()),
            served=SERVED,
            now=clock(),
            new_token=lambda: "fixed-token-for-test",
        )
    assert token == "fixed-token-for-test"


def test_submission_is_all_or_nothing(engine: Engine, clock: FakeClock) -> None:
    """If the audit event cannot be written, the application is not stored either."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    with pytest.raises(ServiceUnavailable):
        new_application(engine, clock)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Application)).one() == 0


def test_eligibility_errors_name_the_request_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        evaluate_eligibility(
            jurisdiction="shanghai", facts={**REGISTRATION_FACTS, "studying": "no"}, served=SERVED
        )
    assert caught.value.field == "facts.studying"
    with pytest.raises(InvalidInput) as caught:
        evaluate_eligibility(jurisdiction="shanghai", facts=None, served=SERVED)
    assert caught.value.field == "facts"
    with pytest.raises(InvalidInput) as caught:
        evaluate_eligibility(jurisdiction="national", facts=REGISTRATION_FACTS, served=SERVED)
    assert caught.value.field == "jurisdiction"


def test_concurrent_decisions_on_one_application_serialise(
    engine: Engine, clock: FakeClock
) -> None:
    """Two officers decide at once: exactly one wins, the other gets a conflict."""
    application_id = new_application(engine, clock)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(action: str) -> None:
        move = approve_application if action == "approve" else reject_application
        barrier.wait()
        try:
            with session_scope(engine) as session:
                move(
                    session=session,
                    principal=clerk(),
                    application_id=application_id,
                    reason=f"{action} by a clerk",
                    now=clock(),
                )
            result = action
        except Conflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=decide, args=(a,)) for a in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["approve", "conflict"], ["conflict", "reject"])
    with Session(engine) as session:
        transitions = list(session.exec(select(Transition)))
        row = session.get(Application, application_id)
    assert len(transitions) == 1
    assert row is not None
    assert row.state == transitions[0].to_state
