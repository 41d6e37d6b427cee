"""Application and permit lifecycles as transition tables: pure data plus one lookup.

A lifecycle is a table ``(state, action) -> next state``; whatever is not in the table is
illegal and raises :class:`~wire.errors.Conflict` *before* anything is changed (CONVENTIONS
§12). The tables are the whole truth about which moves exist: services look the move up here and
:mod:`issuer.services.transitions` records it (who, when, why) in the same transaction.

Issue 3 §3: application ``submitted -> approved | rejected``, ``approved -> issued``; permit
``active <-> suspended``, ``active | suspended -> revoked`` (final), ``active -> expired``;
``renew`` and ``change`` (issue 3 §5) are ``active -> active``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from wire.errors import Conflict
from wire.statuslist import INVALID, SUSPENDED, VALID

__all__ = [
    "APPLICATION_LIFECYCLE",
    "PERMIT_LIFECYCLE",
    "PERMIT_STATUS_VALUES",
    "ApplicationAction",
    "ApplicationState",
    "Lifecycle",
    "PermitAction",
    "PermitState",
    "permit_class_for_outcome",
]


class ApplicationState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ISSUED = "issued"


class ApplicationAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ISSUE = "issue"


class PermitState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class PermitAction(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"
    EXPIRE = "expire"
    #: Annual endorsement (签注) and change of data: the permit stays active, a new credential
    #: is offered. Listed as moves so that they are refused outside ``active`` and recorded.
    RENEW = "renew"
    CHANGE = "change"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """One entity's state machine: ``entity`` names it in transition rows and audit actions."""

    entity: str
    initial: str
    moves: Mapping[tuple[str, str], str]

    def target(self, state: str, action: str) -> str:
        """The state ``action`` leads to from ``state``; :class:`Conflict` if there is none."""
        target = self.moves.get((state, action))
        if target is None:
            # Both values come from the closed sets above, never from personal data.
            raise Conflict(f"cannot {action} the {self.entity}: it is {state}")
        return target

    def states(self) -> frozenset[str]:
        """Every state that appears in the table."""
        return frozenset({self.initial, *(s for s, _ in self.moves), *self.moves.values()})

    def is_final(self, state: str) -> bool:
        """True when no move leaves ``state``."""
        return not any(source == state for source, _ in self.moves)


APPLICATION_LIFECYCLE: Final = Lifecycle(
    entity="application",
    initial=ApplicationState.SUBMITTED,
    moves=MappingProxyType(
        {
            (ApplicationState.SUBMITTED, ApplicationAction.APPROVE): ApplicationState.APPROVED,
            (ApplicationState.SUBMITTED, ApplicationAction.REJECT): ApplicationState.REJECTED,
            (ApplicationState.APPROVED, ApplicationAction.ISSUE): ApplicationState.ISSUED,
        }
    ),
)

PERMIT_LIFECYCLE: Final = Lifecycle(
    entity="permit",
    initial=PermitState.ACTIVE,
    moves=MappingProxyType(
        {
            (PermitState.ACTIVE, PermitAction.SUSPEND): PermitState.SUSPENDED,
            (PermitState.SUSPENDED, PermitAction.REINSTATE): PermitState.ACTIVE,
            (PermitState.ACTIVE, PermitAction.REVOKE): PermitState.REVOKED,
            (PermitState.SUSPENDED, PermitAction.REVOKE): PermitState.REVOKED,
            (PermitState.ACTIVE, PermitAction.EXPIRE): PermitState.EXPIRED,
            (PermitState.ACTIVE, PermitAction.RENEW): PermitState.ACTIVE,
            (PermitState.ACTIVE, PermitAction.CHANGE): PermitState.ACTIVE,
        }
    ),
)

#: Token Status List value (DESIGN §4) every live credential of a permit carries in a state.
#: ``expired`` is absent on purpose: an expired credential is refused by its ``exp`` already,
#: and its status entry keeps its last value.
PERMIT_STATUS_VALUES: Final[Mapping[str, int]] = MappingProxyType(
    {
        PermitState.ACTIVE: int(VALID),
        PermitState.SUSPENDED: int(SUSPENDED),
        PermitState.REVOKED: int(INVALID),
    }
)

_PERMIT_CLASS_BY_OUTCOME: Final[Mapping[str, str]] = MappingProxyType(
    {"permit": "standard", "temporary_permit": "temporary"}
)


def permit_class_for_outcome(outcome: str) -> str | None:
    """The DESIGN §2 ``permit_class`` an eligibility outcome grants, or None for no permit.

    ``registration`` (居住登记) and ``ineligible`` grant no permit, so such an application cannot
    be approved; ``talent`` is granted by a separate decision (Shanghai points), not by the
    eligibility rules.
    """
    return _PERMIT_CLASS_BY_OUTCOME.get(outcome)
