"""wire.statuslist's pinned public names, and its purity (no I/O or framework imports)."""

from __future__ import annotations

import ast

import wire.statuslist as statuslist_module
from wire.statuslist import INVALID, SUSPENDED, VALID


def test_public_surface() -> None:
    assert set(statuslist_module.__all__) == {
        "ALLOWED_BITS",
        "DEFAULT_MAX_TOKEN_CHARS",
        "INVALID",
        "SUSPENDED",
        "STATUS_LIST_TYP",
        "TTL_MAX",
        "TTL_MIN",
        "VALID",
        "StatusList",
        "StatusListToken",
        "StatusValue",
        "build_status_list_token",
        "status_at",
        "verify_status_list_token",
    }
    assert len(set(statuslist_module.__all__)) == len(statuslist_module.__all__)
    assert (VALID, INVALID, SUSPENDED) == (0, 1, 2)


def test_module_is_pure() -> None:
    assert statuslist_module.__file__ is not None
    with open(statuslist_module.__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {
        "__future__",
        "zlib",
        "collections",
        "dataclasses",
        "enum",
        "typing",
        "wire",
    }
