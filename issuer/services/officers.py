"""Officer accounts and sessions: create, disable, log in, resolve a session token.

Logging in checks the throttle first, then the password (Argon2id), then the TOTP code when
one is given; every failure looks the same from outside ("invalid credentials") and counts
against the throttle. A session token names the officer's ``token_version``: disabling an
officer bumps it, and :func:`resolve_principal` compares it with the database on every request,
so the officer's open sessions end at once rather than when their tokens expire.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from issuer.audit import append_event
from issuer.authz import Principal
from issuer.models.officers import Officer, OfficerCreate, Role, is_username, normalize_username
from issuer.ratelimit import LoginThrottle
from issuer.security import (
    Passwords,
    decode_officer_token,
    encode_officer_token,
    new_totp_secret,
    verify_totp,
)
from issuer.settings import IssuerSettings
from wire.errors import AuthenticationRequired, Conflict, InvalidInput, NotFound

__all__ = [
    "OfficerSession",
    "create_officer",
    "disable_officer",
    "login",
    "resolve_principal",
]

_log = logging.getLogger(__name__)
_INVALID_CREDENTIALS = "invalid credentials"


@dataclass(frozen=True, slots=True)
class OfficerSession:
    """A freshly issued session token and what it allows."""

    access_token: str
    expires_in: int
    mfa: bool


def create_officer(
    *,
    session: Session,
    data: OfficerCreate,
    passwords: Passwords,
    jurisdictions: Collection[str],
    actor: str,
    now: datetime,
) -> tuple[Officer, str]:
    """Create an officer with a new TOTP secret; returns the officer and the secret.

    The secret is returned so the caller can show the provisioning URI once; it is never
    readable through the API.
    """
    if data.jurisdiction not in jurisdictions:
        raise InvalidInput("this issuer does not serve that jurisdiction", field="jurisdiction")
    existing = session.exec(select(Officer).where(Officer.username == data.username)).first()
    if existing is not None:
        raise Conflict("an officer with that username exists")
    secret = new_totp_secret()
    officer = Officer(
        username=data.username,
        role=data.role,
        jurisdiction=data.jurisdiction,
        password_hash=passwords.hash(data.password),
        totp_secret=secret,
        created_at=now,
        updated_at=now,
    )
    session.add(officer)
    session.flush()
    append_event(
        session=session,
        actor=actor,
        action="officer.create",
        refs={"officer": str(officer.id)},
        now=now,
    )
    return officer, secret


def disable_officer(*, session: Session, username: str, actor: str, now: datetime) -> Officer:
    """Disable an officer and end all of their sessions (``token_version`` + 1)."""
    officer = session.exec(
        select(Officer).where(Officer.username == normalize_username(username)).with_for_update()
    ).first()
    if officer is None:
        raise NotFound("officer not found")
    officer.disabled = True
    officer.token_version += 1
    officer.updated_at = now
    session.add(officer)
    session.flush()
    append_event(
        session=session,
        actor=actor,
        action="officer.disable",
        refs={"officer": str(officer.id)},
        now=now,
    )
    return officer


def login(
    *,
    session: Session,
    settings: IssuerSettings,
    passwords: Passwords,
    throttle: LoginThrottle,
    username: str,
    password: str,
    totp: str | None,
    client: str,
    now: datetime,
) -> OfficerSession:
    """OAuth2 password grant for officers (RFC 6749 §4.3), with an optional TOTP code.

    A session opened with a valid TOTP code carries ``mfa``; only such sessions may suspend,
    reinstate or revoke (:func:`issuer.authz.require_mfa`).
    """
    key = LoginThrottle.key(username, client)
    throttle.check(key, now=now)
    name = normalize_username(username)
    # A name no officer can have is not looked up (PostgreSQL refuses NUL in text: a 500).
    officer = (
        session.exec(select(Officer).where(Officer.username == name).with_for_update()).first()
        if is_username(name)
        else None
    )
    password_ok = passwords.verify(officer.password_hash if officer else None, password)
    if officer is None or not password_ok or officer.disabled:
        throttle.failed(key, now=now)
        _log.info("officer login refused")
        raise AuthenticationRequired(_INVALID_CREDENTIALS)
    mfa = False
    if totp:
        step = verify_totp(officer.totp_secret, totp, now=now, last_step=officer.totp_last_step)
        if step is None:
            throttle.failed(key, now=now)
            _log.info("officer login refused: second factor")
            raise AuthenticationRequired(_INVALID_CREDENTIALS)
        officer.totp_last_step = step
        mfa = True
    throttle.succeeded(key)
    if passwords.needs_rehash(officer.password_hash):
        officer.password_hash = passwords.hash(password)
    officer.updated_at = now
    session.add(officer)
    session.flush()
    append_event(
        session=session,
        actor=f"officer:{officer.id}",
        action="officer.login",
        refs={"officer": str(officer.id), "mfa": "yes" if mfa else "no"},
        now=now,
    )
    token = encode_officer_token(
        settings=settings,
        officer_id=officer.id,
        role=officer.role,
        jurisdiction=officer.jurisdiction,
        token_version=officer.token_version,
        mfa=mfa,
        now=now,
    )
    return OfficerSession(
        access_token=token, expires_in=settings.officer_token_ttl_seconds, mfa=mfa
    )


def resolve_principal(
    *, session: Session, settings: IssuerSettings, token: str, now: datetime
) -> Principal:
    """The officer a session token speaks for, as the database knows them now.

    Role and jurisdiction are read from the database, not trusted from the token; a disabled
    officer or a token from before the last ``token_version`` bump is refused.
    """
    claims = decode_officer_token(token, settings=settings, now=now)
    officer = session.get(Officer, claims.officer_id)
    if (
        officer is None
        or officer.disabled
        or officer.token_version != claims.token_version
        or officer.role not in tuple(Role)
    ):
        raise AuthenticationRequired("invalid or expired session token")
    return Principal(
        officer_id=officer.id,
        role=Role(officer.role),
        jurisdiction=officer.jurisdiction,
        mfa=claims.mfa,
    )
