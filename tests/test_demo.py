"""The README's first command is a test: ``permit demo`` must complete every narrated step.

``--quick`` shortens only the employer batch (10 applications instead of 50); every other step
runs as in ``bin/demo``, against real issuer, wallet and verifier-service processes on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from permit_cli.main import cli

pytestmark = pytest.mark.slow

STEPS = [
    "Two cities' issuers",
    "Two applicants",
    "An employer uploads a batch of 10",
    "An officer (password + TOTP) approves",
    "The landlord scans",
    "The same QR image shown again",
    "The bank asks",
    "A Suzhou verifier",
    "A paper permit",
    "The officer suspends",
    "Annual endorsement",
    "The officer revokes",
    "The audit logs verify",
]


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--quick"])
    assert result.exit_code == 0, result.output
    assert "All steps behaved as narrated" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is True
    titles = [step["step"] for step in summary["steps"]]
    assert len(titles) == len(STEPS)
    for title, expected in zip(titles, STEPS, strict=True):
        assert title.startswith(expected)
    assert all(check["ok"] for step in summary["steps"] for check in step["checks"])
    saw = summary["verifiers_saw"]
    assert set(saw["landlord"]["claims"]) == {
        "name",
        "permit_class",
        "residence_address",
        "endorsed_until",
    }
    assert "id_number" in saw["bank"]["claims"]
    assert saw["paper_landlord"]["valid"] is True
    assert saw["paper_bank"]["valid"] is False
    assert saw["paper_bank"]["reason"] == "holder_binding_missing"
    artefacts = ("landlord-qr.png", "bank-qr.png", "bank-request-qr.png", "paper-landlord-qr.png")
    for artefact in (*artefacts, "trust-list.jwt"):
        assert (out / artefact).stat().st_size > 0
    # The bank verified through the verifier service's requests, not an in-process pipeline:
    # its records (one JSON line per verification) name the bank's account and channel.
    records = [
        json.loads(line)
        for line in (out / "logs" / "verifier.log").read_text().splitlines()
        if line.startswith("{")
    ]
    bank = [
        (r["channel"], r["result"], r["reason"]) for r in records if r["account"] == "bank-demo"
    ]
    assert bank[:2] == [("request", "valid", None)] * 2
    assert ("request", "rejected", "replayed") in bank
    assert ("request", "rejected", "holder_binding_missing") in bank
    assert (out / "key-passphrase").stat().st_mode & 0o077 == 0
    assert "PRIVATE KEY-----" not in "".join(
        p.read_text() for p in (out / "keys").rglob("*.pem")
    ).replace("ENCRYPTED PRIVATE KEY-----", "")


def test_demo_refuses_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert (tmp_path / "precious.txt").exists()
