"""QR images through ``POST /v1/verify/image`` and ``permit verify IMAGE`` (``cases_image.py``).

The same invariants as the text cases: the exact code, never a 5xx or an escaped exception, no
claims and no personal data in a rejection or any log record, and no connection except the
case's own status list when a decoded QR code gets that far.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from tests.adversarial.cases_image import IMAGES, ImageCase
from tests.adversarial.conftest import Observed
from tests.adversarial.surfaces import CliSurface, Outcome, ServiceSurface
from tests.adversarial.world import CANARIES, Ctx, World

Observe = Callable[..., AbstractContextManager[Observed]]
IDS = [case.id for case in IMAGES]


def check(case: ImageCase, outcome: Outcome, ctx: Ctx, seen: Observed) -> None:
    if not outcome.valid:
        assert outcome.claims in ({}, None)
        for text in outcome.emitted:
            assert not [canary for canary in CANARIES if canary in text]
    assert seen.connections.refused == []
    assert set(seen.connections.lookups) <= {"127.0.0.1"}
    assert seen.requests == ([ctx.status_path] if case.fetches else [])
    if not case.fetches:
        assert seen.connections.connects == []
    for line in seen.logs:
        assert not [secret for secret in (*CANARIES, ctx.nonce) if secret in line]


@pytest.mark.parametrize("case", IMAGES, ids=IDS)
def test_image_service(
    case: ImageCase, world: World, service: ServiceSurface, observe: Observe
) -> None:
    ctx = world.ctx()
    data = case.build(ctx)
    with observe() as seen:
        outcome = service.image(data)
    assert (outcome.http_status, outcome.reason) == case.service
    assert outcome.valid is (case.service == (200, None))
    assert outcome.http_status is not None
    assert outcome.http_status < 500
    check(case, outcome, ctx, seen)


@pytest.mark.parametrize("case", IMAGES, ids=IDS)
def test_image_cli(
    case: ImageCase, world: World, cli_surface: CliSurface, observe: Observe
) -> None:
    ctx = world.ctx()
    data = case.build(ctx)
    with observe() as seen:
        outcome = cli_surface.image(data, ctx)
    exit_code, expected = case.cli
    assert outcome.exit_code == exit_code
    if exit_code == 2:  # an input error, said on stderr without echoing the input
        stdout, stderr = outcome.emitted
        assert stdout == ""
        assert expected is not None
        assert expected in stderr
    else:
        assert outcome.reason == expected
        assert outcome.valid is (exit_code == 0)
    check(case, outcome, ctx, seen)
