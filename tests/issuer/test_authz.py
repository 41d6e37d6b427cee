"""Roles, jurisdiction isolation and step-up rules (issuer.authz), as pure functions."""

from __future__ import annotations

import uuid

import pytest

from issuer.authz import (
    Permission,
    Principal,
    SecondFactorRequired,
    require_jurisdiction,
    require_mfa,
    require_permission,
)
from issuer.models.officers import Role
from wire.errors import AuthenticationRequired, Forbidden

ALLOWED = {
    Role.CLERK: {
        Permission.READ_APPLICATIONS,
        Permission.DECIDE_APPLICATIONS,
        Permission.READ_PERMITS,
    },
    Role.SUPERVISOR: {
        Permission.READ_APPLICATIONS,
        Permission.DECIDE_APPLICATIONS,
        Permission.READ_PERMITS,
        Permission.CHANGE_PERMIT_STATUS,
    },
    Role.AUDITOR: {Permission.READ_APPLICATIONS, Permission.READ_PERMITS, Permission.READ_AUDIT},
}


def principal(role: Role, *, jurisdiction: str = "shanghai", mfa: bool = False) -> Principal:
    return Principal(officer_id=uuid.uuid4(), role=role, jurisdiction=jurisdiction, mfa=mfa)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_role_permission_matrix(role: Role, permission: Permission) -> None:
    if permission in ALLOWED[role]:
        require_permission(principal(role), permission)
    else:
        with pytest.raises(Forbidden):
            require_permission(principal(role), permission)


def test_jurisdiction_isolation() -> None:
    require_jurisdiction(principal(Role.SUPERVISOR), "shanghai")
    with pytest.raises(Forbidden):
        require_jurisdiction(principal(Role.SUPERVISOR), "chengdu")
    # "national" is a jurisdiction like any other, not a super-jurisdiction.
    with pytest.raises(Forbidden):
        require_jurisdiction(principal(Role.SUPERVISOR, jurisdiction="national"), "shanghai")


def test_mfa_step_up_is_an_authentication_error() -> None:
    require_mfa(principal(Role.SUPERVISOR, mfa=True))
    with pytest.raises(SecondFactorRequired) as caught:
        require_mfa(principal(Role.SUPERVISOR, mfa=False))
    assert isinstance(caught.value, AuthenticationRequired)
    assert caught.value.code == "unauthenticated"


def test_actor_is_an_id_not_a_name() -> None:
    p = principal(Role.CLERK)
    assert p.actor == f"officer:{p.officer_id}"
