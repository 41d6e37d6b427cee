"""``permit employer`` and ``permit batch`` (CliRunner) against a live issuer on loopback."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import click
import pytest
import uvicorn
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from issuer.api.app import create_app
from issuer.batch_cli import batch_group
from issuer.cli import employer_group
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.issuer.batch_helpers import (
    CANARY_NAME,
    EmployerHandle,
    csv_text,
    employee,
    employees,
    make_employer,
)

STARTUP_DEADLINE_SECONDS = 30.0


def invoke(group: click.Group, args: list[str], **kwargs: object) -> Result:
    return CliRunner().invoke(group, args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def issuer_url(settings: IssuerSettings, engine: Engine, clock: FakeClock) -> Iterator[str]:
    """The issuer served by uvicorn on a free loopback port, in a thread of this process."""
    app = create_app(settings, engine=engine, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", ws="none", log_level="warning", access_log=False)
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    give_up = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < give_up, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(STARTUP_DEADLINE_SECONDS)
    sock.close()


@pytest.fixture
def employer(engine: Engine, settings: IssuerSettings, clock: FakeClock) -> EmployerHandle:
    return make_employer(engine, settings, clock)


def submit(
    path: Path,
    issuer_url: str,
    key: str | None,
    *extra: str,
    env: Mapping[str, str | None] | None = None,
) -> Result:
    args = ["submit", str(path), "--issuer-url", issuer_url, "--poll-interval", "0.02", *extra]
    if key is not None:
        args += ["--key", key]
    return invoke(batch_group, args, env=env)


class TestEmployerCommands:
    def test_create_prints_the_key_once_and_it_works(
        self, settings: IssuerSettings, client: TestClient
    ) -> None:
        result = invoke(
            employer_group,
            ["create", "--name", "上海某某科技有限公司", "--jurisdiction", "shanghai"],
            obj=settings,
        )
        assert result.exit_code == 0, result.output
        keys = re.findall(r"pek_[A-Za-z0-9_-]{43}", result.output)
        assert len(keys) == 1
        assert "(shanghai) created" in result.output
        listed = client.get("/v1/batches", headers={"Authorization": f"Bearer {keys[0]}"})
        assert listed.json() == []

    @pytest.mark.parametrize(
        ("args", "status"),
        [
            (["--name", "ACME", "--jurisdiction", "atlantis"], 1),
            (["--name", "", "--jurisdiction", "shanghai"], 2),
            (["--name", "ACME"], 2),
        ],
    )
    def test_create_refusals(self, settings: IssuerSettings, args: list[str], status: int) -> None:
        result = invoke(employer_group, ["create", *args], obj=settings)
        assert result.exit_code == status
        assert "pek_" not in result.output

    def test_disable_ends_the_key(
        self, settings: IssuerSettings, client: TestClient, employer: EmployerHandle
    ) -> None:
        result = invoke(employer_group, ["disable", str(employer.id)], obj=settings)
        assert result.exit_code == 0, result.output
        assert client.get("/v1/batches", headers=employer.headers).status_code == 401
        unknown = invoke(employer_group, ["disable", str(uuid.uuid4())], obj=settings)
        assert unknown.exit_code == 1


class TestBatchSubmit:
    def test_a_clean_batch_shows_progress_and_exits_0(
        self, tmp_path: Path, issuer_url: str, employer: EmployerHandle
    ) -> None:
        path = tmp_path / "staff.csv"
        path.write_text(csv_text(employees(50)), encoding="utf-8-sig")
        result = submit(path, issuer_url, None, env={"PERMIT_EMPLOYER_KEY": employer.key})
        assert result.exit_code == 0, result.output
        assert "accepted: 50 rows" in result.output
        assert "50/50" in result.output  # the progress bar's last frame
        assert "━" in result.output
        assert "50 of 50 rows became applications, 0 failed" in result.output
        batch_id = re.findall(r"batch ([0-9a-f-]{36}) done", result.output)[0]
        status = invoke(
            batch_group, ["status", batch_id, "--issuer-url", issuer_url, "--key", employer.key]
        )
        assert status.exit_code == 0
        assert "50 of 50 rows became applications" in status.output

    def test_row_errors_are_listed_without_values_and_exit_1(
        self, tmp_path: Path, issuer_url: str, employer: EmployerHandle
    ) -> None:
        rows = employees(4)
        rows[1]["facts"]["housing"] = "castle"
        rows[2]["id_number"] = rows[2]["id_number"][:10]
        path = tmp_path / "staff.json"
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        result = submit(path, issuer_url, employer.key)
        assert result.exit_code == 1, result.output
        assert "2 of 4 rows became applications, 2 failed" in result.output
        assert "row 2: facts.housing invalid_choice" in result.output
        assert "row 3: id_number invalid_length" in result.output
        for value in (CANARY_NAME, "castle", rows[2]["id_number"], rows[0]["id_number"]):
            assert value not in result.output

    @pytest.mark.parametrize(
        ("key", "content", "suffix", "expected"),
        [
            ("pek_wrong", None, ".csv", "401 unauthenticated"),
            (None, None, ".csv", "no employer key"),
            ("", None, ".csv", "no employer key"),
            ("valid", "name,sex\r\n张三,M\r\n", ".csv", "422 invalid_input, header"),
            ("valid", None, ".txt", "--format"),
        ],
    )
    def test_refused_before_queueing_is_exit_2(
        self,
        tmp_path: Path,
        issuer_url: str,
        employer: EmployerHandle,
        key: str | None,
        content: str | None,
        suffix: str,
        expected: str,
    ) -> None:
        path = tmp_path / f"staff{suffix}"
        path.write_text(content or csv_text([employee(1)]), encoding="utf-8")
        no_key_in_env = {"PERMIT_EMPLOYER_KEY": None}
        result = submit(
            path, issuer_url, employer.key if key == "valid" else key, env=no_key_in_env
        )
        assert result.exit_code == 2, result.output
        assert expected in result.output
        assert "张三" not in result.output

    def test_another_jurisdiction_is_exit_2(
        self,
        tmp_path: Path,
        issuer_url: str,
        engine: Engine,
        settings: IssuerSettings,
        clock: FakeClock,
    ) -> None:
        chengdu = make_employer(engine, settings, clock, "chengdu")
        path = tmp_path / "staff.json"
        path.write_text(json.dumps([employee(1)]), encoding="utf-8")
        result = submit(path, issuer_url, chengdu.key)
        assert result.exit_code == 2
        assert "403 forbidden" in result.output

    def test_unreachable_issuer_is_exit_2(self, tmp_path: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]  # bound, never listening: connections are refused
            path = tmp_path / "staff.csv"
            path.write_text(csv_text([employee(1)]), encoding="utf-8")
            result = submit(path, f"http://127.0.0.1:{port}", "pek_x")
        assert result.exit_code == 2
        assert "cannot reach the issuer" in result.output
        assert "pek_x" not in result.output
