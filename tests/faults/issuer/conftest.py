"""The issuer's own fixtures (one database per backend, officers, apps), plus a key ring on
disk that the killed process and its successor share, as a real deployment's ``key_dir``."""

from __future__ import annotations

from pathlib import Path

import pytest

from keys.ring import KeyRing
from keys.store import FileKeyStore
from tests.faults.issuer_process import KEY_PASSPHRASE
from tests.issuer.conftest import (
    clock,
    db_url,
    engine,
    make_client,
    make_officer,
    passwords,
    postgres_schema_url,
    postgres_unreachable,
    settings,
    sqlite_template,
)

# Re-exported: pytest finds fixtures by name in this module.
__all__ = [
    "clock",
    "db_url",
    "engine",
    "key_dir",
    "make_client",
    "make_officer",
    "passwords",
    "postgres_schema_url",
    "postgres_unreachable",
    "ring",
    "settings",
    "sqlite_template",
]


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    path = tmp_path / "keys"
    KeyRing.generate().save(FileKeyStore(path, KEY_PASSPHRASE.encode()))
    return path


@pytest.fixture
def ring(key_dir: Path) -> KeyRing:
    return KeyRing.load(FileKeyStore(key_dir, KEY_PASSPHRASE.encode()))
