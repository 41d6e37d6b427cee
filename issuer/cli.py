"""``permit db``, ``audit``, ``officer`` and ``employer``: operating the issuer from a shell.

Settings come from the environment like the service's (``PERMIT_ISSUER_*``, ``DATABASE_URL``),
unless the caller passes an :class:`~issuer.settings.IssuerSettings` as the click context object.
Exit status: 0 success, 1 the check failed (``audit verify`` found a broken chain) or the action
was refused, 2 configuration or usage error.
"""

from __future__ import annotations

import re
import uuid
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
from issuer.models.employers import EmployerCreate
from issuer.models.officers import MIN_PASSWORD_LENGTH, ROLES, OfficerCreate
from issuer.security import Passwords, totp_provisioning_uri
from issuer.services.employers import create_employer, disable_employer
from issuer.services.officers import create_officer, disable_officer
from issuer.settings import IssuerSettings
from wire.errors import ConfigurationError, PermitError

__all__ = ["audit_group", "db_group", "employer_group", "officer_group", "serve_issuer"]

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


@click.group("employer")
def employer_group() -> None:
    """Manage employer accounts (they upload batch applications with an API key)."""


@employer_group.command("create")
@click.option("--name", required=True, help="The employer's name, as officers will see it.")
@click.option("--jurisdiction", required=True)
def employer_create(name: str, jurisdiction: str) -> None:
    """Create an employer and print its API key, once."""
    settings = _settings()
    try:
        data = EmployerCreate(name=name, jurisdiction=jurisdiction)
    except ValidationError as exc:
        fields = ", ".join(sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]}))
        _fail(f"invalid {fields or 'input'}", status=2)
    with _engine(settings) as engine:
        try:
            with session_scope(engine) as session:
                employer, key = create_employer(
                    session=session,
                    data=data,
                    jurisdictions=settings.jurisdictions,
                    actor=_CLI_ACTOR,
                    now=utcnow(),
                )
        except PermitError as exc:
            _fail(exc.message, status=1)
    click.echo(f"employer {employer.id} ({employer.jurisdiction}) created")
    click.echo("API key (shown once; give it to the employer over a secure channel):")
    click.echo(key)


@employer_group.command("disable")
@click.argument("employer_id", type=click.UUID)
def employer_disable(employer_id: uuid.UUID) -> None:
    """Refuse the employer's API key from now on (accepted batches still finish)."""
    with _engine(_settings()) as engine:
        try:
            with session_scope(engine) as session:
                disable_employer(
                    session=session, employer_id=employer_id, actor=_CLI_ACTOR, now=utcnow()
                )
        except PermitError as exc:
            _fail(exc.message, status=1)
    click.echo(f"employer {employer_id} disabled")


@click.command("issuer")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65_535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; more than one needs a shared key ring (PERMIT_KEY_DIR).",
)
def serve_issuer(host: str, port: int, workers: int) -> None:
    """Run the issuer service with uvicorn (settings from PERMIT_ISSUER_*, DATABASE_URL).

    Settings are validated before anything starts (exit 2 when unusable). Several workers
    each load the settings and the key ring themselves, so they must share a key directory:
    an ephemeral development key would differ per worker.
    """
    import uvicorn

    from issuer.api.app import create_app

    settings = _settings()
    if workers > 1 and settings.key_dir is None:
        _fail("--workers > 1 needs a shared key ring: set PERMIT_KEY_DIR", status=2)
    if workers == 1:
        try:
            app = create_app(settings)
        except ConfigurationError as exc:
            _fail(exc.message, status=2)
        uvicorn.run(app, host=host, port=port, proxy_headers=False)
        return
    uvicorn.run(
        "issuer.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
    )
