"""``permit verify`` with its status server failing (issue 7 §4, DESIGN §4, §6).

Run in-process (``CliRunner``) with ``--now``, so every time decision is the injected clock's;
the only real wait is the fetch timeout a hanging server costs (``--http-timeout 1``).

- no cached list: the fault's reason (:data:`FAULTS`: unreachable, hanging, hanging up, 5xx
  → ``status_unavailable``; an answer that is no status token → ``status_invalid``);
- a cached list, online: used while ``now`` < fetched + ``ttl`` (clamped to 60 s … 1 day)
  and ``now`` < ``exp``; after that only a fetch can answer: ``status_unavailable``;
- a cached list, ``--offline``: never fetched; used while ``now`` − fetched ≤
  ``--max-offline-age``, else ``status_unavailable``; past ``exp`` ``status_invalid``.

A rejection exits 1 with ``claims: {}`` and no personal data on stdout or stderr.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner

from permit_cli.main import cli
from tests.faults.verifier.status_faults import (
    DROPPED,
    FAULTS,
    HTTP_TIMEOUT_SECONDS,
    OFFLINE_CACHE_CASES,
    STATUS_TYPE,
    Fault,
    StatusFaults,
)
from tests.verifier.conftest import STATUS_SIZE, World
from wire.statuslist import StatusList, build_status_list_token

CANARIES = ("王小明", "11010519900102123X")


@dataclass(frozen=True)
class Outcome:
    code: int
    reason: str | None
    body: dict[str, Any]


def verify_at(world: World, at: int, *extra: str) -> Outcome:
    """``permit verify`` of a fresh landlord presentation at ``at``."""
    result = CliRunner().invoke(
        cli,
        [
            "verify",
            world.present(iat=at),
            *world.args("--profile", "landlord", "--now", str(at)),
            "--http-timeout",
            str(HTTP_TIMEOUT_SECONDS),
            *extra,
        ],
    )
    for canary in CANARIES:
        assert canary not in result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    if not body["valid"]:
        assert body["claims"] == {}
        for canary in CANARIES:
            assert canary not in result.stdout
    assert result.exit_code == (0 if body["valid"] else 1)
    return Outcome(result.exit_code, body["reason"], body)


def publish(world: World, *, ttl: int, exp_in: int, iat: int | None = None) -> None:
    """Serve a VALID status token for the world's credential with this ``ttl`` and ``exp``."""
    issued = world.now if iat is None else iat
    token = build_status_list_token(
        status_list=StatusList.from_entries(STATUS_SIZE, 2, {world.idx: 0}),
        sub=world.status_uri,
        iat=issued,
        exp=issued + exp_in,
        ttl=ttl,
        key=world.ring.active_key,
        kid=world.ring.active_kid,
    )
    world.server.routes["/status/1"] = (200, {"Content-Type": STATUS_TYPE}, token.encode())


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
def test_online_without_a_cached_list_the_fault_decides(
    world: World, status_faults: StatusFaults, fault: Fault
) -> None:
    status_faults.inject(fault, "/status/1")
    assert verify_at(world, world.now).reason == fault.reason
    status_faults.restore()
    publish(world, ttl=300, exp_in=3600)
    assert verify_at(world, world.now).reason is None  # the next run fetches it


@pytest.mark.parametrize(
    ("ttl", "exp_in", "fresh_for"),
    [
        pytest.param(300, 3600, 300, id="ttl"),
        pytest.param(5, 3600, 60, id="ttl-clamped-up-to-60s"),
        pytest.param(1_000_000, 90_000, 86_400, id="ttl-clamped-down-to-1-day"),
        pytest.param(3600, 120, 120, id="exp-before-ttl"),
    ],
)
def test_online_a_cached_list_serves_while_fresh_then_the_outage_shows(
    world: World, status_faults: StatusFaults, ttl: int, exp_in: int, fresh_for: int
) -> None:
    publish(world, ttl=ttl, exp_in=exp_in)
    assert verify_at(world, world.now).reason is None  # fetched and cached
    status_faults.inject(DROPPED, "/status/1")  # any fetch is counted, and fails
    attempts = status_faults.proxy.accepted

    assert verify_at(world, world.now + fresh_for - 1).reason is None
    assert status_faults.proxy.accepted == attempts  # served from the cache, no fetch
    assert verify_at(world, world.now + fresh_for).reason == "status_unavailable"
    assert status_faults.proxy.accepted == attempts + 1

    status_faults.restore()
    later = world.now + fresh_for
    publish(world, ttl=300, exp_in=3600, iat=later)
    assert verify_at(world, later).reason is None


@pytest.mark.parametrize(("exp_in", "age", "max_age", "reason"), OFFLINE_CACHE_CASES)
def test_offline_the_cache_serves_within_its_bounds_and_nothing_is_fetched(
    world: World,
    status_faults: StatusFaults,
    exp_in: int,
    age: int,
    max_age: int,
    reason: str | None,
) -> None:
    publish(world, ttl=300, exp_in=exp_in)
    assert verify_at(world, world.now).reason is None  # an online run filled the cache
    status_faults.inject(DROPPED, "/status/1")
    attempts = status_faults.proxy.accepted
    outcome = verify_at(world, world.now + age, "--offline", "--max-offline-age", str(max_age))
    assert outcome.reason == reason
    assert status_faults.proxy.accepted == attempts


def test_offline_without_a_cached_list_is_unavailable(
    world: World, status_faults: StatusFaults
) -> None:
    status_faults.down()
    assert verify_at(world, world.now, "--offline").reason == "status_unavailable"
