"""Public eligibility check: the decision for stated facts, stored nowhere (issue 3 §2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from issuer.services.applications import evaluate_eligibility
from issuer.settings import SettingsDep

__all__ = ["EligibilityRequest", "router"]

router = APIRouter(prefix="/v1", tags=["eligibility"])


class EligibilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str = Field(min_length=1, max_length=32)
    facts: dict[str, Any]


class JurisdictionList(BaseModel):
    jurisdictions: list[str]


@router.post("/eligibility")
def check_eligibility(body: EligibilityRequest, settings: SettingsDep) -> dict[str, Any]:
    """``{"outcome", "jurisdiction", "conditions": [...]}`` with every condition's reason."""
    decision = evaluate_eligibility(
        jurisdiction=body.jurisdiction, facts=body.facts, served=settings.jurisdictions
    )
    return decision.to_dict()


@router.get("/jurisdictions", response_model=JurisdictionList)
def served_jurisdictions(settings: SettingsDep) -> JurisdictionList:
    """The jurisdictions this issuer accepts applications for."""
    return JurisdictionList(jurisdictions=list(settings.jurisdictions))
