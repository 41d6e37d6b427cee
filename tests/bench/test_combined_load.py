"""Smoke run of ``python -m bench.combined_load``: both flows complete and nothing fails.

Six seconds with two users of each kind, as a subprocess: locust's gevent patches the process
that imports it, so it never runs inside pytest. One test, so that pytest-xdist cannot start
the stack twice. The figures depend on the machine and are not asserted; behaviour is: every
step of the issuer's write path ran as often as the flow did, the deliberate replays were
refused as ``replayed``, no request, flow or service failed, and memory was sampled.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ISSUANCE = "issuer: issuance flow (5 requests)"
ISSUANCE_STEPS = [
    "issuer: POST /v1/applications",
    "issuer: POST /v1/applications/[id]/approve",
    "issuer: POST token (pre-authorized code + PIN)",
    "issuer: POST nonce",
    "issuer: POST credential (holder key proof)",
]
VERIFY = "verifier: POST /v1/verify"
REPLAY = "verifier: POST /v1/verify (replayed on purpose)"


def _by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows}


def test_combined_load_smoke() -> None:
    command = [sys.executable, "-m", "bench.combined_load", "--seconds", "6", "--users", "2"]
    completed = subprocess.run(
        [*command, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    result: dict[str, Any] = json.loads(completed.stdout)
    assert result["ok"] is True
    assert result["conditions"]["users"] == {"issuer": 2, "verifier": 2}

    flows, endpoints = _by_name(result["flows"]), _by_name(result["endpoints"])
    assert flows[ISSUANCE]["requests"] > 0
    assert flows["verifier: verification (1 request)"]["requests"] > 0
    for step in ISSUANCE_STEPS:  # a flow cut off by the clock may have sent some steps only
        assert endpoints[step]["requests"] >= flows[ISSUANCE]["requests"], step
    assert endpoints[VERIFY]["requests"] > 0
    assert endpoints[REPLAY]["requests"] > 0  # answered `replayed`, else it would have failed

    assert [row for row in result["flows"] + result["endpoints"] if row["failures"]] == []
    assert result["errors"] == {
        "failed_requests": 0,
        "failed_flows": 0,
        "locust_exceptions": 0,
        "service_tracebacks": 0,
        "failure_messages": [],
    }
    for name in ("issuer", "verifier"):
        memory = result["services"][name]
        assert memory["samples"] >= 3, name
        assert 0 < memory["start_mb"] <= memory["max_mb"], name
        assert memory["flat"] is True, name
