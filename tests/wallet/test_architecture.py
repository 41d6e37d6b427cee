"""The wallet talks to the issuer only over HTTP: no module of it imports issuer or verifier."""

from __future__ import annotations

import ast
from pathlib import Path

import wallet_api

FORBIDDEN = ("issuer", "verifier")


def test_wallet_imports_neither_issuer_nor_verifier() -> None:
    root = Path(wallet_api.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(root)}: {name}"
                for name in names
                if name.split(".")[0] in FORBIDDEN
            ]
    assert offenders == []


def test_modules_stay_small() -> None:
    root = Path(wallet_api.__file__).parent
    long = [p.name for p in root.rglob("*.py") if len(p.read_text("utf-8").splitlines()) >= 400]
    assert long == []
