"""The verifier ships without issuer or wallet code, and its CLI starts without heavy imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(package: Path) -> set[str]:
    names: set[str] = set()
    for source in package.rglob("*.py"):
        tree = ast.parse(source.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


def test_verifier_never_imports_issuer_or_wallet() -> None:
    roots = {name.split(".")[0] for name in _imported_modules(ROOT / "verifier")}
    assert not roots & {"issuer", "wallet_api"}


def test_wire_is_pure() -> None:
    roots = {name.split(".")[0] for name in _imported_modules(ROOT / "wire")}
    assert not roots & {"fastapi", "starlette", "sqlmodel", "sqlalchemy", "httpx", "redis"}


def test_verify_command_imports_stay_light() -> None:
    """Loading the CLI and the verify command must not pull in web, ORM or image stacks."""
    probe = (
        "import sys\n"
        "from permit_cli.main import cli\n"
        "cli.get_command(None, 'verify')\n"
        "heavy = {'fastapi', 'starlette', 'sqlalchemy', 'sqlmodel', 'PIL', 'zxingcpp', "
        "'httpx', 'issuer', 'wallet_api', 'rich', 'qrcode'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
