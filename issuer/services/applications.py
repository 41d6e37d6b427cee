"""Applications: eligibility decisions, submission, officer review (issue 3 §2-3).

Submission is public: the applicant states identity and facts, the jurisdiction's rules decide
at once, and the answer lists every condition with its reason. The decision is stored with the
application, so the officer reviews exactly what the applicant was told. Approval only moves the
state and records it; creating the credential offer is a separate step (OpenID4VCI issuance)
that runs in the same transaction once it exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from functools import partial
from types import MappingProxyType
from typing import Final

from sqlmodel import Session, col, select

from issuer.audit import append_event
from issuer.authz import Permission, Principal, require_jurisdiction, require_permission
from issuer.eligibility import Decision, Facts, decide, load_rules
from issuer.lifecycle import (
    APPLICATION_LIFECYCLE,
    ApplicationAction,
    ApplicationState,
    permit_class_for_outcome,
)
from issuer.models.applications import Application, ApplicationCreate
from issuer.services.transitions import move
from wire.credential import CHINA_TZ
from wire.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "REGION_PREFIXES",
    "approve_application",
    "check_status_token",
    "evaluate_eligibility",
    "get_application",
    "list_applications",
    "lock_for_decision",
    "reject_application",
    "submit_application",
]

#: Administrative-division code prefixes (GB/T 2260) a residence address must have in each
#: jurisdiction; ``national`` accepts any. A Shanghai permit for a Chengdu address is a typo.
REGION_PREFIXES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "shanghai": ("31",),
        "shenzhen": ("4403",),
        "chengdu": ("5101",),
        "zhengzhou": ("4101",),
        "jiangsu": ("32",),
    }
)
MAX_PAGE = 200
APPLICANT_ACTOR: Final = "applicant"


def _new_status_token() -> str:
    return secrets.token_urlsafe(32)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def evaluate_eligibility(*, jurisdiction: str, facts: object, served: Collection[str]) -> Decision:
    """Decide ``facts`` under ``jurisdiction``'s rules; pure apart from reading the rule file.

    Fact errors name the field as the request spells it (``facts.residence_months``).
    """
    if jurisdiction not in served:
        raise InvalidInput("this issuer does not serve that jurisdiction", field="jurisdiction")
    rules = load_rules(jurisdiction)
    try:
        parsed = Facts.from_mapping(facts)
    except InvalidInput as exc:
        field = f"facts.{exc.field}" if exc.field else "facts"
        raise InvalidInput(exc.message, field=field) from None
    return decide(rules, parsed)


def _check_identity(data: ApplicationCreate, *, now: datetime) -> None:
    """Cross-field checks the wire model cannot do alone (and that need the clock)."""
    if data.birth_date > now.astimezone(CHINA_TZ).date():
        raise InvalidInput("birth_date lies in the future", field="birth_date")
    if data.id_number[6:14] != data.birth_date.strftime("%Y%m%d"):
        raise InvalidInput("id_number does not match birth_date", field="id_number")
    # GB 11643: the 17th digit is odd for men, even for women.
    if ("M" if int(data.id_number[16]) % 2 else "F") != data.sex:
        raise InvalidInput("id_number does not match sex", field="id_number")
    prefixes = REGION_PREFIXES.get(data.jurisdiction)
    if prefixes and not data.residence_address.region_code.startswith(prefixes):
        raise InvalidInput(
            "region_code lies outside the jurisdiction", field="residence_address.region_code"
        )


def submit_application(
    *,
    session: Session,
    data: ApplicationCreate,
    served: Collection[str],
    now: datetime,
    actor: str = APPLICANT_ACTOR,
    new_token: Callable[[], str] = _new_status_token,
) -> tuple[Application, str]:
    """Store an application with its eligibility decision; returns it and the status token.

    The token is returned once and stored only as a SHA-256 digest (it is 256 random bits, so a
    fast hash is enough).
    """
    decision = evaluate_eligibility(jurisdiction=data.jurisdiction, facts=data.facts, served=served)
    _check_identity(data, now=now)
    token = new_token()
    application = Application(
        jurisdiction=data.jurisdiction,
        name=data.name,
        sex=data.sex,
        birth_date=data.birth_date,
        id_number=data.id_number,
        hukou_address=data.hukou_address,
        residence_region_code=data.residence_address.region_code,
        residence_district=data.residence_address.district,
        residence_street=data.residence_address.street,
        facts=dict(data.facts),
        decision=decision.to_dict(),
        outcome=decision.outcome,
        state=APPLICATION_LIFECYCLE.initial,
        status_token_hash=_token_hash(token),
        created_at=now,
        updated_at=now,
    )
    session.add(application)
    session.flush()
    append_event(
        session=session,
        actor=actor,
        action="application.submit",
        refs={"application": str(application.id)},
        now=now,
    )
    return application, token


def check_status_token(*, session: Session, application_id: uuid.UUID, token: str) -> Application:
    """The application, if ``token`` is its status token; otherwise :class:`NotFound`.

    A wrong token and an unknown id answer the same, so the endpoint reveals nothing.
    """
    application = session.get(Application, application_id)
    expected = application.status_token_hash if application is not None else _token_hash("")
    if not hmac.compare_digest(expected, _token_hash(token)) or application is None:
        raise NotFound("application not found")
    return application


def list_applications(
    *,
    session: Session,
    principal: Principal,
    jurisdiction: str | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Application]:
    """Applications of the officer's jurisdiction, oldest first."""
    require_permission(principal, Permission.READ_APPLICATIONS)
    wanted = jurisdiction if jurisdiction is not None else principal.jurisdiction
    require_jurisdiction(principal, wanted)
    if state is not None and state not in APPLICATION_LIFECYCLE.states():
        raise InvalidInput("unknown application state", field="state")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must not be negative", field="offset")
    statement = select(Application).where(Application.jurisdiction == wanted)
    if state is not None:
        statement = statement.where(Application.state == state)
    statement = statement.order_by(col(Application.created_at), col(Application.id))
    return list(session.exec(statement.offset(offset).limit(limit)))


def get_application(
    *, session: Session, principal: Principal, application_id: uuid.UUID, lock: bool = False
) -> Application:
    """One application of the officer's jurisdiction (404 unknown, 403 another jurisdiction)."""
    require_permission(principal, Permission.READ_APPLICATIONS)
    application = session.get(Application, application_id, with_for_update=lock)
    if application is None:
        raise NotFound("application not found")
    require_jurisdiction(principal, application.jurisdiction)
    return application


def lock_for_decision(
    *,
    session: Session,
    principal: Principal,
    application_id: uuid.UUID,
    action: ApplicationAction,
) -> Application:
    """The application, locked, for a clerk's or supervisor's decision (checks permission,
    jurisdiction, and that an approval would grant a permit)."""
    require_permission(principal, Permission.DECIDE_APPLICATIONS)
    application = get_application(
        session=session, principal=principal, application_id=application_id, lock=True
    )
    if (
        action is ApplicationAction.APPROVE
        and application.state == ApplicationState.SUBMITTED
        and permit_class_for_outcome(application.outcome) is None
    ):
        raise Conflict("the eligibility outcome grants no permit; reject with a reason instead")
    return application


def _decide(
    *,
    session: Session,
    principal: Principal,
    application_id: uuid.UUID,
    action: ApplicationAction,
    reason: str,
    now: datetime,
) -> Application:
    application = lock_for_decision(
        session=session, principal=principal, application_id=application_id, action=action
    )
    move(
        session=session,
        lifecycle=APPLICATION_LIFECYCLE,
        entity=application,
        action=action,
        actor=principal.actor,
        reason=reason,
        now=now,
    )
    return application


# Approval and rejection differ only in their action: each is called as
# ``approve_application(*, session, principal, application_id, reason, now) -> Application``.
#: ``submitted -> approved`` (clerk or supervisor). Only outcomes that grant a permit
#: (``permit``, ``temporary_permit``) can be approved.
approve_application: Final = partial(_decide, action=ApplicationAction.APPROVE)
#: ``submitted -> rejected`` (clerk or supervisor), with the reason the applicant is owed.
reject_application: Final = partial(_decide, action=ApplicationAction.REJECT)
