"""Officer services: creation, disabling, login details that HTTP tests do not reach."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from issuer.db import session_scope
from issuer.models import Officer, OfficerCreate
from issuer.ratelimit import LoginThrottle, MemoryFailureStore
from issuer.security import Passwords
from issuer.services.officers import create_officer, disable_officer, login, resolve_principal
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, make_settings
from wire.errors import AuthenticationRequired, Conflict, InvalidInput, NotFound


def throttle() -> LoginThrottle:
    return LoginThrottle(MemoryFailureStore(), max_failures=5, window=timedelta(minutes=5))


def data(**overrides: str) -> OfficerCreate:
    values = {
        "username": "wang.fang",
        "role": "clerk",
        "jurisdiction": "shanghai",
        "password": "p" * 12,
    }
    return OfficerCreate.model_validate({**values, **overrides})


def test_duplicate_username_conflicts_case_insensitively(
    engine: Engine, settings: IssuerSettings, passwords: Passwords, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        create_officer(
            session=session,
            data=data(),
            passwords=passwords,
            jurisdictions=settings.jurisdictions,
            actor="cli",
            now=clock(),
        )
    with pytest.raises(Conflict), session_scope(engine) as session:
        create_officer(
            session=session,
            data=data(username="Wang.Fang"),
            passwords=passwords,
            jurisdictions=settings.jurisdictions,
            actor="cli",
            now=clock(),
        )


def test_jurisdiction_must_be_served(
    engine: Engine, passwords: Passwords, clock: FakeClock
) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope(engine) as session:
        create_officer(
            session=session,
            data=data(),
            passwords=passwords,
            jurisdictions=("chengdu",),
            actor="cli",
            now=clock(),
        )
    assert caught.value.field == "jurisdiction"


def test_disable_bumps_the_token_version(
    engine: Engine, make_officer: OfficerFactory, clock: FakeClock
) -> None:
    officer = make_officer()
    with session_scope(engine) as session:
        row = disable_officer(
            session=session, username=officer.username.upper(), actor="cli", now=clock()
        )
    assert (row.disabled, row.token_version) == (True, 2)
    with pytest.raises(NotFound), session_scope(engine) as session:
        disable_officer(session=session, username="nobody", actor="cli", now=clock())


def test_login_upgrades_an_outdated_password_hash(
    engine: Engine, db_url: str, make_officer: OfficerFactory, clock: FakeClock
) -> None:
    officer = make_officer()
    stronger = make_settings(db_url, argon2_time_cost=2)
    passwords = Passwords(stronger)
    with session_scope(engine) as session:
        issued = login(
            session=session,
            settings=stronger,
            passwords=passwords,
            throttle=throttle(),
            username=officer.username,
            password=officer.password,
            totp=None,
            client="127.0.0.1",
            now=clock(),
        )
    with Session(engine) as session:
        row = session.get(Officer, officer.id)
        assert row is not None
        assert "t=2" in row.password_hash
        principal = resolve_principal(
            session=session, settings=stronger, token=issued.access_token, now=clock()
        )
    assert principal.officer_id == officer.id


def test_a_token_signed_by_another_deployment_is_refused(
    engine: Engine,
    settings: IssuerSettings,
    passwords: Passwords,
    make_officer: OfficerFactory,
    clock: FakeClock,
) -> None:
    officer = make_officer()
    with session_scope(engine) as session:
        issued = login(
            session=session,
            settings=settings,
            passwords=passwords,
            throttle=throttle(),
            username=officer.username,
            password=officer.password,
            totp=None,
            client="127.0.0.1",
            now=clock(),
        )
    other = make_settings(
        "sqlite:///unused.db", jwt_secret="a-different-secret-for-another-deployment-0000"
    )
    with Session(engine) as session, pytest.raises(AuthenticationRequired):
        resolve_principal(session=session, settings=other, token=issued.access_token, now=clock())
