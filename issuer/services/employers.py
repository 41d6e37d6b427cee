"""Employer accounts: create, disable, authenticate by API key (issue 3 §7).

An employer authenticates with ``Authorization: Bearer <key>``. The key is 256 random bits
shown once at creation; only its SHA-256 is stored (:mod:`issuer.models.employers` says why a
fast digest is right for a key that cannot be guessed), so lookup is one indexed query and a
database reader cannot act as an employer. An employer acts only in its own jurisdiction and
sees only its own batches; every employer action is audited as ``employer:<id>``.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlmodel import Session, select

from issuer.audit import append_event
from issuer.models.employers import Employer, EmployerCreate
from wire.errors import AuthenticationRequired, InvalidInput, NotFound

__all__ = [
    "API_KEY_PREFIX",
    "EmployerPrincipal",
    "authenticate_employer",
    "create_employer",
    "disable_employer",
]

#: Makes a leaked key recognisable to secret scanners and in support requests.
API_KEY_PREFIX: Final = "pek_"
_MAX_KEY_LENGTH: Final = 128


def _new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class EmployerPrincipal:
    """An authenticated employer, as loaded from the database for this request."""

    employer_id: uuid.UUID
    jurisdiction: str

    @property
    def actor(self) -> str:
        """How audit events name this employer (an id, not the company name)."""
        return f"employer:{self.employer_id}"


def create_employer(
    *,
    session: Session,
    data: EmployerCreate,
    jurisdictions: Collection[str],
    actor: str,
    now: datetime,
    new_key: Callable[[], str] = _new_api_key,
) -> tuple[Employer, str]:
    """Create an employer account; returns it and its API key, which is never shown again."""
    if data.jurisdiction not in jurisdictions:
        raise InvalidInput("this issuer does not serve that jurisdiction", field="jurisdiction")
    key = new_key()
    employer = Employer(
        name=data.name,
        jurisdiction=data.jurisdiction,
        api_key_hash=_key_hash(key),
        created_at=now,
    )
    session.add(employer)
    session.flush()
    append_event(
        session=session,
        actor=actor,
        action="employer.create",
        refs={"employer": str(employer.id)},
        now=now,
    )
    return employer, key


def disable_employer(
    *, session: Session, employer_id: uuid.UUID, actor: str, now: datetime
) -> Employer:
    """Refuse the employer's key from now on; its accepted batches still finish."""
    employer = session.get(Employer, employer_id, with_for_update=True)
    if employer is None:
        raise NotFound("employer not found")
    employer.disabled = True
    session.add(employer)
    session.flush()
    append_event(
        session=session,
        actor=actor,
        action="employer.disable",
        refs={"employer": str(employer.id)},
        now=now,
    )
    return employer


def authenticate_employer(*, session: Session, api_key: str | None) -> EmployerPrincipal:
    """The enabled employer owning ``api_key``; otherwise :class:`AuthenticationRequired`.

    An unknown, malformed or disabled key answers the same.
    """
    if not api_key or len(api_key) > _MAX_KEY_LENGTH:
        raise AuthenticationRequired("an employer API key is required")
    employer = session.exec(
        select(Employer).where(Employer.api_key_hash == _key_hash(api_key))
    ).first()
    if employer is None or employer.disabled:
        raise AuthenticationRequired("invalid employer API key")
    return EmployerPrincipal(employer_id=employer.id, jurisdiction=employer.jurisdiction)
