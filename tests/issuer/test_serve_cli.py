"""``permit serve issuer``: settings checked first, one worker runs the app, several need keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from issuer.cli import serve_issuer
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from keys.store import FileKeyStore
from tests.issuer.conftest import make_settings


class FakeUvicorn:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def run(self, app: Any, **kwargs: Any) -> None:
        self.calls.append((app, kwargs))


@pytest.fixture
def uvicorn(monkeypatch: pytest.MonkeyPatch) -> FakeUvicorn:
    import uvicorn as real

    fake = FakeUvicorn()
    monkeypatch.setattr(real, "run", fake.run)
    return fake


def invoke(args: list[str], settings: IssuerSettings) -> Any:
    return CliRunner().invoke(serve_issuer, args, obj=settings)


def test_one_worker_runs_the_app_built_from_the_settings(
    uvicorn: FakeUvicorn, tmp_path: Path
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/issuer.db")
    result = invoke(["--port", "8123"], settings)
    assert result.exit_code == 0, result.output
    [(app, kwargs)] = uvicorn.calls
    assert isinstance(app, FastAPI)
    assert app.state.settings is settings
    assert kwargs == {"host": "127.0.0.1", "port": 8123, "proxy_headers": False}
    app.state.engine.dispose()


def test_several_workers_need_a_shared_key_ring(uvicorn: FakeUvicorn, tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/issuer.db")
    result = invoke(["--workers", "4"], settings)
    assert result.exit_code == 2
    assert "PERMIT_KEY_DIR" in result.output
    assert uvicorn.calls == []


def test_several_workers_with_a_key_ring(uvicorn: FakeUvicorn, tmp_path: Path) -> None:
    KeyRing.generate().save(FileKeyStore(tmp_path / "keys", b"a strong test passphrase"))
    settings = make_settings(
        f"sqlite:///{tmp_path}/issuer.db",
        key_dir=tmp_path / "keys",
        key_passphrase="a strong test passphrase",
    )
    result = invoke(["--workers", "3", "--host", "0.0.0.0", "--port", "9000"], settings)
    assert result.exit_code == 0, result.output
    [(target, kwargs)] = uvicorn.calls
    assert target == "issuer.api.app:create_app_from_env"
    assert kwargs["factory"] is True
    assert (kwargs["workers"], kwargs["host"], kwargs["port"]) == (3, "0.0.0.0", 9000)


def test_unusable_key_ring_is_exit_2(uvicorn: FakeUvicorn, tmp_path: Path) -> None:
    KeyRing.generate().save(FileKeyStore(tmp_path / "keys", b"the right passphrase"))
    settings = make_settings(
        f"sqlite:///{tmp_path}/issuer.db",
        key_dir=tmp_path / "keys",
        key_passphrase="the wrong passphrase",
    )
    result = invoke([], settings)
    assert result.exit_code == 2
    assert "passphrase" in result.output
    assert "the wrong passphrase" not in result.output
    assert uvicorn.calls == []


@pytest.mark.parametrize("args", [["--port", "0"], ["--workers", "0"]])
def test_bad_options_are_usage_errors(
    uvicorn: FakeUvicorn, tmp_path: Path, args: list[str]
) -> None:
    result = invoke(args, make_settings(f"sqlite:///{tmp_path}/issuer.db"))
    assert result.exit_code == 2
    assert uvicorn.calls == []
