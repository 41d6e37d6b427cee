"""``permit db``, ``permit audit`` and ``permit officer``: operating the issuer from a shell.

Settings come from the environment like the service's (``PERMIT_ISSUER_*``, ``DATABASE_URL``),
unless the caller passes an :class:`~issuer.settings.IssuerSettings` as the click context object.
Exit status: 0 success, 1 the check failed (``audit verify`` found a broken chain) or the action
was refused, 2 configuration or usage error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from issuer import migrate
from issuer.audit import verify_chain, verify_stored_chain
from issuer.db import create_engine_for, session_scope, utcnow
from issuer.models.audit import AuditEvent
from issuer.models.officers import MIN_PASSWORD_LENGTH, ROLES, OfficerCreate
from issuer.security import Passwords, totp_provisioning_uri
from issuer.services.officers import create_officer, disable_officer
from issuer.settings import IssuerSettings
from wire.errors import ConfigurationError, PermitError

__all__ = ["audit_group", "db_group", "officer_group"]

_CLI_ACTOR = "cli"
_CHECKPOINT = re.compile(r"^([0-9]+):([0-9a-f]{64})$")


def _fail(message: str, *, status: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(status)


def _settings() -> IssuerSettings:
    """Settings given by the caller (``obj=`` of click, as tests do), else from the environment."""
    given = click.get_current_context().find_object(IssuerSettings)
    if given is not None:
        return given
    try:
        return IssuerSettings.load()
    except ConfigurationError as exc:
        _fail(exc.message, status=2)


@contextmanager
def _engine(settings: IssuerSettings) -> Iterator[Engine]:
    engine = create_engine_for(settings)
    try:
        yield engine
    except OperationalError:
        # The driver's message may contain the URL with its password: say only what failed.
        _fail("the database cannot be reached or is not migrated (permit db upgrade)", status=2)
    finally:
        engine.dispose()


@click.group("db")
def db_group() -> None:
    """Create and migrate the issuer database (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate up to REVISION (default: the newest)."""
    with _engine(_settings()) as engine:
        migrate.upgrade(engine, revision)
        click.echo(f"database at revision {migrate.current_revision(engine)}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate down to REVISION (``base`` drops every issuer table)."""
    with _engine(_settings()) as engine:
        migrate.downgrade(engine, revision)
        click.echo(f"database at revision {migrate.current_revision(engine) or 'base'}")


@db_group.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one this code ships."""
    with _engine(_settings()) as engine:
        current = migrate.current_revision(engine)
    head = migrate.head_revision()
    click.echo(f"current: {current or 'base (not migrated)'}")
    click.echo(f"head:    {head}")


@click.group("audit")
def audit_group() -> None:
    """Inspect the hash-chained audit log."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    metavar="SEQ:HASH",
    help="A head printed by an earlier run; fails unless that event is still unchanged.",
)
def audit_verify(checkpoint: str | None) -> None:
    """Check that no audit event was altered, removed or reordered (exit 0 intact, 1 broken)."""
    expected: tuple[int, str] | None = None
    if checkpoint is not None:
        match = _CHECKPOINT.match(checkpoint.strip())
        if match is None:
            _fail("--checkpoint must look like SEQ:HASH (64 hex digits)", status=2)
        expected = (int(match.group(1)), match.group(2))
    with _engine(_settings()) as engine, Session(engine) as session:
        try:
            report = verify_stored_chain(session)
        except PermitError as exc:
            _fail(exc.message, status=2)
        if report.ok and expected is not None:
            prefix = session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.seq) <= expected[0])
                .order_by(col(AuditEvent.seq))
            )
            report = verify_chain(prefix, head=expected)
    if not report.ok:
        click.echo(
            f"audit chain BROKEN at seq {report.broken_at}: {report.problem} "
            f"({report.checked} events verified before it)",
            err=True,
        )
        raise SystemExit(1)
    noun = "event" if report.checked == 1 else "events"
    click.echo(f"audit chain intact: {report.checked} {noun}")
    click.echo(f"head: {report.head_seq}:{report.head_hash}")


@click.group("officer")
def officer_group() -> None:
    """Manage officer accounts."""


@officer_group.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--jurisdiction", required=True)
@click.password_option(
    "--password",
    prompt=f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
    help="Prompted for when omitted; avoid passing it on the command line.",
)
def officer_create(username: str, role: str, jurisdiction: str, password: str) -> None:
    """Create an officer and print the TOTP provisioning URI, once."""
    settings = _settings()
    try:
        data = OfficerCreate(
            username=username, role=role, jurisdiction=jurisdiction, password=password
        )
    except ValidationError as exc:
        fields = ", ".join(sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]}))
        _fail(f"invalid {fields or 'input'}", status=2)
    with _engine(settings) as engine:
        try:
            with session_scope(engine) as session:
                officer, secret = create_officer(
                    session=session,
                    data=data,
                    passwords=Passwords(settings),
                    jurisdictions=settings.jurisdictions,
                    actor=_CLI_ACTOR,
                    now=utcnow(),
                )
        except PermitError as exc:
            _fail(exc.message, status=1)
    click.echo(f"officer {officer.username} ({officer.role}, {officer.jurisdiction}) created")
    click.echo("TOTP provisioning URI (shown once; add it to an authenticator app now):")
    click.echo(
        totp_provisioning_uri(
            secret, username=officer.username, issuer_name=f"Residence permits {jurisdiction}"
        )
    )


@officer_group.command("disable")
@click.option("--username", required=True)
def officer_disable(username: str) -> None:
    """Disable an officer; their open sessions end immediately."""
    with _engine(_settings()) as engine:
        try:
            with session_scope(engine) as session:
                officer = disable_officer(
                    session=session, username=username, actor=_CLI_ACTOR, now=utcnow()
                )
        except PermitError as exc:
            _fail(exc.message, status=1)
    click.echo(f"officer {officer.username} disabled; sessions ended")
