"""Lifecycle transition tables (issue 3 §3): every legal move, and every other move refused."""

from __future__ import annotations

import itertools
from enum import StrEnum

import pytest

from issuer.lifecycle import (
    APPLICATION_LIFECYCLE,
    PERMIT_LIFECYCLE,
    PERMIT_STATUS_VALUES,
    ApplicationAction,
    ApplicationState,
    Lifecycle,
    PermitAction,
    PermitState,
    permit_class_for_outcome,
)
from wire.errors import Conflict
from wire.statuslist import INVALID, SUSPENDED, VALID

A, P = ApplicationState, PermitState

APPLICATION_MOVES = {
    (A.SUBMITTED, ApplicationAction.APPROVE): A.APPROVED,
    (A.SUBMITTED, ApplicationAction.REJECT): A.REJECTED,
    (A.APPROVED, ApplicationAction.ISSUE): A.ISSUED,
}
PERMIT_MOVES = {
    (P.ACTIVE, PermitAction.SUSPEND): P.SUSPENDED,
    (P.SUSPENDED, PermitAction.REINSTATE): P.ACTIVE,
    (P.ACTIVE, PermitAction.REVOKE): P.REVOKED,
    (P.SUSPENDED, PermitAction.REVOKE): P.REVOKED,
    (P.ACTIVE, PermitAction.EXPIRE): P.EXPIRED,
    (P.ACTIVE, PermitAction.RENEW): P.ACTIVE,
    (P.ACTIVE, PermitAction.CHANGE): P.ACTIVE,
}
CASES = [
    (APPLICATION_LIFECYCLE, ApplicationState, ApplicationAction, APPLICATION_MOVES),
    (PERMIT_LIFECYCLE, PermitState, PermitAction, PERMIT_MOVES),
]


@pytest.mark.parametrize(("lifecycle", "states", "actions", "moves"), CASES)
def test_every_state_action_pair_is_legal_exactly_when_listed(
    lifecycle: Lifecycle,
    states: type[StrEnum],
    actions: type[StrEnum],
    moves: dict[tuple[str, str], str],
) -> None:
    for state, action in itertools.product(states, actions):
        if (state, action) in moves:
            assert lifecycle.target(state, action) == moves[(state, action)]
        else:
            with pytest.raises(Conflict):
                lifecycle.target(state, action)


def test_conflict_message_names_action_entity_and_state() -> None:
    with pytest.raises(Conflict) as caught:
        PERMIT_LIFECYCLE.target(P.REVOKED, PermitAction.REINSTATE)
    assert caught.value.message == "cannot reinstate the permit: it is revoked"
    assert caught.value.code == "conflict"


def test_final_states() -> None:
    assert {s for s in ApplicationState if APPLICATION_LIFECYCLE.is_final(s)} == {
        A.REJECTED,
        A.ISSUED,
    }
    assert {s for s in PermitState if PERMIT_LIFECYCLE.is_final(s)} == {P.REVOKED, P.EXPIRED}


def test_states_cover_the_enums() -> None:
    assert APPLICATION_LIFECYCLE.states() == set(ApplicationState)
    assert PERMIT_LIFECYCLE.states() == set(PermitState)
    assert APPLICATION_LIFECYCLE.initial == A.SUBMITTED
    assert PERMIT_LIFECYCLE.initial == P.ACTIVE


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        APPLICATION_LIFECYCLE.moves[(A.REJECTED, ApplicationAction.APPROVE)] = A.APPROVED  # type: ignore[index]


def test_permit_states_map_to_status_list_values() -> None:
    assert PERMIT_STATUS_VALUES == {P.ACTIVE: VALID, P.SUSPENDED: SUSPENDED, P.REVOKED: INVALID}
    assert P.EXPIRED not in PERMIT_STATUS_VALUES


@pytest.mark.parametrize(
    ("outcome", "permit_class"),
    [
        ("permit", "standard"),
        ("temporary_permit", "temporary"),
        ("registration", None),
        ("ineligible", None),
    ],
)
def test_permit_class_for_outcome(outcome: str, permit_class: str | None) -> None:
    assert permit_class_for_outcome(outcome) == permit_class
