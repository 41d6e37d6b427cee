"""Holder accounts: registration, login with throttling, short-lived opaque session tokens.

* Passwords are Argon2id with the deployment's cost parameters; an unknown username is
  verified against a dummy hash so timing does not reveal which names exist
  (:class:`servicekit.passwords.Passwords`, shared with the issuer and re-exported here).
* A session token is 256 random bits handed to the client once; the database keeps its
  SHA-256 and an absolute expiry (``session_ttl_seconds``, 15 min by default). Logging out
  deletes the row. An expired or unknown token is one 401.
* Failed logins are rows in ``wallet_login_failure`` keyed by a hash of (username, client
  address), so every worker sharing the database enforces one limit: ``login_max_failures`` in
  ``login_window_seconds``, then 429 with ``Retry-After`` until the oldest failure ages out.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from servicekit.passwords import Passwords
from wallet_api.models import Account, LoginFailure, SessionToken
from wallet_api.settings import WalletSettings
from wire.errors import AuthenticationRequired, Conflict, InvalidInput, RateLimited

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "IssuedSession",
    "Passwords",
    "login",
    "logout",
    "normalize_username",
    "register",
    "resolve_session",
]

MIN_PASSWORD_LENGTH: Final = 10
_USERNAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    expires_in: int
    account: Account


def normalize_username(value: str) -> str:
    """Trimmed and case-folded: ``LiMei`` and ``limei`` are one account."""
    return value.strip().casefold()


def _is_username(name: str) -> bool:
    """Whether a normalized ``name`` can name an account; lookups skip any other (PostgreSQL
    refuses NUL in text: a query with one was a 500)."""
    return 3 <= len(name) <= 64 and set(name) <= _USERNAME_CHARS and name[0].isalnum()


def _check_username(value: str) -> str:
    name = normalize_username(value)
    if not _is_username(name):
        raise InvalidInput(
            "username: 3-64 of a-z, 0-9, '.', '_', '-', starting alphanumeric", field="username"
        )
    return name


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def register(
    *,
    session: Session,
    passwords: Passwords,
    username: str,
    password: str,
    display_name: str,
    now: datetime,
) -> Account:
    """Create an account; a taken username is :class:`Conflict`."""
    name = _check_username(username)
    if not MIN_PASSWORD_LENGTH <= len(password) <= 1024:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters", field="password")
    shown = display_name.strip()
    if not 1 <= len(shown) <= 64:
        raise InvalidInput("display_name: 1 to 64 characters", field="display_name")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in shown):  # NUL: PostgreSQL's 500
        raise InvalidInput("display_name: no control characters", field="display_name")
    if session.exec(select(Account).where(Account.username == name)).first() is not None:
        raise Conflict("this username is taken")
    account = Account(
        username=name, display_name=shown, password_hash=passwords.hash(password), created_at=now
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("this username is taken") from None
    return account


def _throttle_key(username: str, client: str) -> str:
    return _hash(f"{normalize_username(username)}\x00{client}")


def login(
    *,
    session: Session,
    passwords: Passwords,
    settings: WalletSettings,
    username: str,
    password: str,
    client: str,
    now: datetime,
) -> IssuedSession | AuthenticationRequired:
    """Open a session, or *return* the refusal so the caller commits the counted failure.

    Raises :class:`RateLimited` (before any password check) while the key is throttled.
    """
    key = _throttle_key(username, client)
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= window_start))
    recent = session.exec(
        select(func.count(), func.min(LoginFailure.at)).where(LoginFailure.key_hash == key)
    ).one()
    count, oldest = int(recent[0]), recent[1]
    if count >= settings.login_max_failures and oldest is not None:
        wait = (oldest + timedelta(seconds=settings.login_window_seconds) - now).total_seconds()
        raise RateLimited(
            "too many failed logins; try again later", retry_after=max(1, math.ceil(wait))
        )
    name = normalize_username(username)
    account = (
        session.exec(select(Account).where(Account.username == name)).first()
        if _is_username(name)
        else None
    )
    if not passwords.verify(account.password_hash if account else None, password) or (
        account is None
    ):
        session.add(LoginFailure(key_hash=key, at=now))
        session.flush()
        return AuthenticationRequired("wrong username or password")
    session.execute(delete(LoginFailure).where(col(LoginFailure.key_hash) == key))
    session.execute(
        delete(SessionToken)
        .where(col(SessionToken.account_id) == account.id)
        .where(col(SessionToken.expires_at) <= now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        SessionToken(
            token_hash=_hash(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.session_ttl_seconds),
        )
    )
    session.flush()
    return IssuedSession(token, settings.session_ttl_seconds, account)


def resolve_session(*, session: Session, token: str, now: datetime) -> tuple[Account, datetime]:
    """The account behind a live session token, with the session's expiry; else 401."""
    if not token or len(token) > 256:
        raise AuthenticationRequired("a session token is required")
    row = session.get(SessionToken, _hash(token))
    if row is None or row.expires_at <= now:
        raise AuthenticationRequired("the session has expired or is unknown; log in again")
    account = session.get(Account, row.account_id)
    if account is None:
        raise AuthenticationRequired("the session has expired or is unknown; log in again")
    return account, row.expires_at


def logout(*, session: Session, token: str) -> None:
    """End the session (idempotent)."""
    session.execute(delete(SessionToken).where(col(SessionToken.token_hash) == _hash(token)))


def account_by_username(*, session: Session, username: str) -> Account | None:
    name = normalize_username(username)
    if not _is_username(name):
        return None
    return session.exec(select(Account).where(Account.username == name)).first()


def account_name(*, session: Session, account_id: uuid.UUID) -> str:
    account = session.get(Account, account_id)
    return account.username if account is not None else "?"
