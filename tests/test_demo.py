"""The README's first command is a test: ``permit demo`` must complete every narrated step."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from permit_cli.main import cli


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "All steps behaved as narrated" in result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["landlord"]["valid"] is True
    assert summary["landlord_qr_version"] <= 25
    assert (tmp_path / "landlord-qr.png").stat().st_size > 0
    assert "PRIVATE KEY-----" not in "".join(
        p.read_text() for p in (tmp_path / "keys").rglob("*.pem")
    ).replace("ENCRYPTED PRIVATE KEY-----", "")
