"""``permit db``, ``permit audit`` and ``permit officer`` (issuer.cli), on both backends."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer import migrate
from issuer.cli import audit_group, db_group, officer_group
from issuer.models import Officer
from issuer.settings import IssuerSettings
from tests.issuer.conftest import make_settings

PASSWORD = "a long enough password"


def invoke(
    group: click.Group, args: list[str], settings: IssuerSettings, stdin: str | None = None
) -> Result:
    return CliRunner().invoke(group, args, obj=settings, input=stdin)


def create(
    settings: IssuerSettings, username: str = "zhao.lei", role: str = "supervisor"
) -> Result:
    return invoke(
        officer_group,
        ["create", "--username", username, "--role", role, "--jurisdiction", "shanghai"],
        settings,
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )


class TestDb:
    def test_upgrade_current_downgrade_on_a_fresh_database(self, tmp_path: Path) -> None:
        settings = make_settings(f"sqlite:///{tmp_path}/new/issuer.db")
        current = invoke(db_group, ["current"], settings)
        assert current.exit_code == 0
        assert "base (not migrated)" in current.output
        upgraded = invoke(db_group, ["upgrade"], settings)
        assert upgraded.exit_code == 0, upgraded.output
        head = migrate.head_revision()
        assert f"database at revision {head}" in upgraded.output
        assert f"current: {head}" in invoke(db_group, ["current"], settings).output
        downgraded = invoke(db_group, ["downgrade", "base"], settings)
        assert downgraded.exit_code == 0
        assert "database at revision base" in downgraded.output

    def test_upgrade_is_idempotent(self, settings: IssuerSettings) -> None:
        result = invoke(db_group, ["upgrade"], settings)
        assert result.exit_code == 0
        assert f"database at revision {migrate.head_revision()}" in result.output

    def test_unreachable_database_is_exit_2_without_the_url(self) -> None:
        settings = make_settings("postgresql://user:s3cret@127.0.0.1:1/nowhere?connect_timeout=1")
        result = invoke(db_group, ["current"], settings)
        assert result.exit_code == 2
        assert "s3cret" not in result.output

    def test_bad_settings_are_exit_2(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PERMIT_ISSUER_DATABASE_URL", "mysql://u@h/db")
        result = CliRunner().invoke(db_group, ["current"])
        assert result.exit_code == 2
        assert "database_url" in result.output


class TestOfficer:
    def test_create_prints_the_provisioning_uri_once(
        self, settings: IssuerSettings, engine: Engine
    ) -> None:
        result = create(settings)
        assert result.exit_code == 0, result.output
        assert "officer zhao.lei (supervisor, shanghai) created" in result.output
        with Session(engine) as session:
            officer = session.exec(select(Officer)).one()
        assert f"secret={officer.totp_secret}" in result.output
        assert PASSWORD not in result.output

    def test_duplicate_is_exit_1(self, settings: IssuerSettings) -> None:
        assert create(settings).exit_code == 0
        again = create(settings, username="ZHAO.LEI")
        assert again.exit_code == 1
        assert "exists" in again.output

    @pytest.mark.parametrize(
        ("args", "stdin"),
        [
            (["--role", "admin"], f"{PASSWORD}\n{PASSWORD}\n"),
            (["--role", "clerk"], "short\nshort\n"),
            (["--role", "clerk", "--username", "bad name"], f"{PASSWORD}\n{PASSWORD}\n"),
        ],
    )
    def test_invalid_input_is_exit_2(
        self, settings: IssuerSettings, args: list[str], stdin: str
    ) -> None:
        base = {"--username": "li.na", "--jurisdiction": "shanghai"}
        for i in range(0, len(args), 2):
            base[args[i]] = args[i + 1]
        flat = ["create", *[part for pair in base.items() for part in pair]]
        result = invoke(officer_group, flat, settings, stdin=stdin)
        assert result.exit_code == 2, result.output

    def test_disable(self, settings: IssuerSettings, engine: Engine) -> None:
        create(settings)
        result = invoke(officer_group, ["disable", "--username", "zhao.lei"], settings)
        assert result.exit_code == 0
        with Session(engine) as session:
            officer = session.exec(select(Officer)).one()
        assert officer.disabled
        assert invoke(officer_group, ["disable", "--username", "nobody"], settings).exit_code == 1


class TestAuditVerify:
    def test_intact_chain_exits_0_and_prints_the_head(self, settings: IssuerSettings) -> None:
        create(settings)
        create(settings, username="qian.yu")
        result = invoke(audit_group, ["verify"], settings)
        assert result.exit_code == 0, result.output
        assert "audit chain intact: 2 events" in result.output
        head = result.output.split("head: ")[1].strip()
        ok = invoke(audit_group, ["verify", "--checkpoint", head], settings)
        assert ok.exit_code == 0

    def test_tampering_exits_1(self, settings: IssuerSettings, engine: Engine) -> None:
        create(settings)
        create(settings, username="qian.yu")
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("UPDATE audit_event SET actor = 'officer:x' WHERE seq = 1"))
        result = invoke(audit_group, ["verify"], settings)
        assert result.exit_code == 1
        assert "audit chain BROKEN at seq 1: event was altered" in result.output

    def test_rewritten_history_fails_the_checkpoint(self, settings: IssuerSettings) -> None:
        create(settings)
        head = invoke(audit_group, ["verify"], settings).output.split("head: ")[1].strip()
        seq = head.split(":")[0]
        result = invoke(audit_group, ["verify", "--checkpoint", f"{seq}:{'0' * 64}"], settings)
        assert result.exit_code == 1
        assert "BROKEN" in result.output

    def test_bad_checkpoint_is_exit_2(self, settings: IssuerSettings) -> None:
        assert invoke(audit_group, ["verify", "--checkpoint", "nonsense"], settings).exit_code == 2
