"""Every case of the catalogue through every surface it applies to (``tests/adversarial``).

Each test asserts the same five things (:func:`check`): the exact DESIGN §6 reason (or, for a
control case, a valid result with claims); no exception, no HTTP 5xx, CLI exit status 1; no
claims in a rejection; no outbound connection except the case's own status list, fetched once
when the verification gets that far; and no personal data or nonce in any answer or log record.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from tests.adversarial.case import CLI, PIPELINE, SERVICE, WORKERS, Case
from tests.adversarial.catalogue import on
from tests.adversarial.conftest import Observed
from tests.adversarial.surfaces import CliSurface, Outcome, PipelineSurface, ServiceSurface
from tests.adversarial.world import CANARIES, Ctx
from tests.redis_service import REDIS_ADDRESS

Observe = Callable[..., AbstractContextManager[Observed]]


def _ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


def check(case: Case, surface: str, outcome: Outcome, ctx: Ctx, seen: Observed) -> None:
    """The invariants every case holds on every surface."""
    # 1. The exact answer.
    http = case.http if surface in (SERVICE, WORKERS) else None
    if http is not None:
        assert (outcome.http_status, outcome.reason) == http
        assert outcome.claims is None
    else:
        assert outcome.reason == case.reason
    # 2. Rejected means rejected, with nothing in it.
    if case.reason is None and http is None:
        assert outcome.valid is True
        assert outcome.claims, "a valid result carries the profile's claims"
    else:
        assert outcome.valid is False
        assert outcome.claims in ({}, None)
        assert outcome.issuer is None
        if outcome.claims is not None:
            status = case.reason if case.reason in ("revoked", "suspended") else None
            assert outcome.status == status
        for text in outcome.emitted:
            leaked = [canary for canary in CANARIES if canary in text]
            assert not leaked, f"personal data in the answer: {leaked}"
    # 3. No server error, and the CLI's exit status.
    if outcome.http_status is not None:
        assert outcome.http_status < 500
    if outcome.exit_code is not None:
        assert outcome.exit_code == (0 if outcome.valid else 1)
    # 4. The network: only the case's own status list, once, and only when it is reached.
    assert seen.connections.refused == [], "outbound connection outside the allowed set"
    assert set(seen.connections.lookups) <= {"127.0.0.1"}
    if case.fetches:
        assert set(seen.requests) == {ctx.status_path}
        assert len(seen.requests) <= (2 if surface == WORKERS else 1)
    else:
        assert seen.requests == []
        assert [c for c in seen.connections.connects if c[:2] != REDIS_ADDRESS] == []
    # 5. Logs: no personal data, no nonce, however deep the logging.
    hidden = [*CANARIES, ctx.nonce]
    for line in seen.logs:
        leaked = [secret for secret in hidden if secret in line]
        assert not leaked, f"logged: {leaked}"


@pytest.mark.parametrize("case", on(PIPELINE), ids=_ids(on(PIPELINE)))
def test_pipeline(case: Case, pipeline: PipelineSurface, observe: Observe) -> None:
    with observe() as seen:
        outcome, ctx = pipeline.run(case)
    check(case, PIPELINE, outcome, ctx, seen)


@pytest.mark.parametrize("case", on(SERVICE), ids=_ids(on(SERVICE)))
def test_service(case: Case, service: ServiceSurface, observe: Observe) -> None:
    with observe() as seen:
        outcome, ctx = service.run(case)
    check(case, SERVICE, outcome, ctx, seen)


@pytest.mark.parametrize("case", on(CLI), ids=_ids(on(CLI)))
def test_cli(case: Case, cli_surface: CliSurface, observe: Observe) -> None:
    with observe() as seen:
        outcome, ctx = cli_surface.run(case)
    check(case, CLI, outcome, ctx, seen)


@pytest.mark.redis
@pytest.mark.parametrize("case", on(WORKERS), ids=_ids(on(WORKERS)))
def test_workers(case: Case, workers: ServiceSurface, observe: Observe) -> None:
    """Replays whose first presentation was accepted by another service instance."""
    with observe(REDIS_ADDRESS) as seen:
        outcome, ctx = workers.run(case)
    check(case, WORKERS, outcome, ctx, seen)
