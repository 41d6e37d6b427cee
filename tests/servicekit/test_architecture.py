"""Where servicekit sits: below the services, beside ``wire``, never imported by ``wire``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_roots(package: Path) -> set[str]:
    roots: set[str] = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
    return roots


def test_wire_never_imports_servicekit() -> None:
    assert "servicekit" not in _imported_roots(ROOT / "wire")


def test_servicekit_imports_no_service() -> None:
    assert not _imported_roots(ROOT / "servicekit") & {
        "issuer",
        "wallet_api",
        "verifier",
        "permit_cli",
    }


def test_the_verifiers_parts_need_no_database_stack() -> None:
    """The verifier service uses the settings, problem handlers and app shell, and has no
    database."""
    probe = (
        "import sys\n"
        "import servicekit, servicekit.settings, servicekit.errors, servicekit.app\n"
        "print(sorted({'sqlalchemy', 'sqlmodel', 'alembic', 'psycopg'} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
