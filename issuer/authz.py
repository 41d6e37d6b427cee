"""Who may do what, where: roles, permissions, jurisdiction isolation and step-up (issue 3 §3).

Pure functions over an authenticated :class:`Principal`; the services call them, so the same
rules hold whether an action arrives over HTTP, from the CLI or from a future job runner.

Jurisdiction isolation: an officer never reads or acts on another jurisdiction's applications
or permits. A request naming another jurisdiction's record answers **403**, the same as a
wrong role (issue 3 acceptance). This tells the caller only that the id exists somewhere; the
ids are random UUIDs (122 bits), so existence cannot be probed by enumeration, and the answer
carries nothing about the record.

Suspend, reinstate and revoke need a session opened with a TOTP code. A session without one
is answered 401 with ``WWW-Authenticate: Bearer error="insufficient_user_authentication"``
(RFC 9470 step-up): the officer is not forbidden, they must log in again with the second factor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from issuer.models.officers import Role
from wire.errors import AuthenticationRequired, Forbidden

__all__ = [
    "ROLE_PERMISSIONS",
    "Permission",
    "Principal",
    "SecondFactorRequired",
    "require_jurisdiction",
    "require_mfa",
    "require_permission",
]


class Permission(StrEnum):
    READ_APPLICATIONS = "read_applications"
    DECIDE_APPLICATIONS = "decide_applications"
    READ_PERMITS = "read_permits"
    CHANGE_PERMIT_STATUS = "change_permit_status"
    READ_AUDIT = "read_audit"


_READ: Final = frozenset({Permission.READ_APPLICATIONS, Permission.READ_PERMITS})
ROLE_PERMISSIONS: Final = MappingProxyType(
    {
        Role.CLERK: _READ | {Permission.DECIDE_APPLICATIONS},
        Role.SUPERVISOR: _READ | {Permission.DECIDE_APPLICATIONS, Permission.CHANGE_PERMIT_STATUS},
        Role.AUDITOR: _READ | {Permission.READ_AUDIT},
    }
)


class SecondFactorRequired(AuthenticationRequired):
    """The session was opened without TOTP and the action needs it (RFC 9470 step-up)."""

    default_message = "this action requires a session opened with a TOTP code"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated officer, as loaded from the database for this request."""

    officer_id: uuid.UUID
    role: Role
    jurisdiction: str
    mfa: bool

    @property
    def actor(self) -> str:
        """How transition rows and audit events name this officer (an id, not a name)."""
        return f"officer:{self.officer_id}"


def require_permission(principal: Principal, permission: Permission) -> None:
    """:class:`Forbidden` unless the principal's role grants ``permission``."""
    if permission not in ROLE_PERMISSIONS.get(principal.role, frozenset()):
        raise Forbidden("your role does not allow this action")


def require_jurisdiction(principal: Principal, jurisdiction: str) -> None:
    """:class:`Forbidden` unless the record belongs to the principal's jurisdiction."""
    if principal.jurisdiction != jurisdiction:
        raise Forbidden("this record belongs to another jurisdiction")


def require_mfa(principal: Principal) -> None:
    """:class:`SecondFactorRequired` unless the session was opened with a TOTP code."""
    if not principal.mfa:
        raise SecondFactorRequired()
