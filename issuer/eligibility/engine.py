"""Evaluate a jurisdiction's rules on an applicant's facts: pure, total and self-explaining.

The engine answers with a :class:`Decision` that lists every condition it evaluated, met or not,
each with the file's bilingual wording and a ``because`` that shows the fact value against the
threshold (``residence_months = 5, needs ≥ 6``). An applicant is never refused without reasons,
and a caseworker can check every step against the regulation the decision cites.

Tiers are tried in file order and the first whose condition is met wins; tiers after it are not
evaluated and so not listed. Inside a tier nothing short-circuits: every branch of an ``any`` is
evaluated even after one is met, so the applicant sees all the routes, not only the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .facts import Facts, FactValue
from .ruleset import AllOf, Comparison, Condition, Outcome, RuleSet

__all__ = ["ConditionResult", "Decision", "decide"]

_SYMBOLS = {"!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


@dataclass(frozen=True, slots=True)
class ConditionResult:
    """One evaluated condition: whether it was met and why.

    ``tier`` is the outcome of the tier the condition belongs to and ``parent`` the id of the
    enclosing ``all``/``any`` (``None`` for a tier's root), so the flat list keeps the tree.
    """

    id: str
    met: bool
    description_zh: str
    description_en: str
    because: str
    tier: Outcome
    parent: str | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, keys in a stable, documented order."""
        return {
            "id": self.id,
            "met": self.met,
            "description_zh": self.description_zh,
            "description_en": self.description_en,
            "because": self.because,
            "tier": self.tier,
            "parent": self.parent,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one applicant in one jurisdiction, with every reason behind it.

    ``decided_by`` is the id of the root condition of the tier that granted the outcome, or
    ``None`` when no tier was met and the file's default applies.
    """

    outcome: Outcome
    jurisdiction: str
    legal_basis: str
    legal_basis_en: str
    decided_by: str | None
    conditions: tuple[ConditionResult, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (the shape documented in docs/eligibility.md)."""
        return {
            "outcome": self.outcome,
            "jurisdiction": self.jurisdiction,
            "legal_basis": self.legal_basis,
            "legal_basis_en": self.legal_basis_en,
            "decided_by": self.decided_by,
            "conditions": [c.to_dict() for c in self.conditions],
        }

    def to_json(self) -> str:
        """Serialise as UTF-8-friendly JSON (Chinese text is kept, not ``\\u``-escaped)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def decide(rules: RuleSet, facts: Facts) -> Decision:
    """Apply ``rules`` to ``facts``: the first tier whose condition is met, else the default.

    Total on validated inputs (a :class:`RuleSet` has been checked against the fact schema), so
    it never raises for a valid rule set and valid facts.
    """
    results: list[ConditionResult] = []
    for tier in rules.tiers:
        met, tier_results = _evaluate(tier.when, facts, tier.outcome, None)
        results.extend(tier_results)
        if met:
            return _decision(rules, tier.outcome, tier.when.id, results)
    return _decision(rules, rules.default, None, results)


def _decision(
    rules: RuleSet, outcome: Outcome, decided_by: str | None, results: list[ConditionResult]
) -> Decision:
    return Decision(
        outcome=outcome,
        jurisdiction=rules.jurisdiction,
        legal_basis=rules.legal_basis.zh,
        legal_basis_en=rules.legal_basis.en,
        decided_by=decided_by,
        conditions=tuple(results),
    )


def _evaluate(
    node: Condition, facts: Facts, tier: Outcome, parent: str | None
) -> tuple[bool, list[ConditionResult]]:
    """Evaluate ``node`` and all its descendants; results come parent first (pre-order)."""
    if isinstance(node, Comparison):
        met, because = _compare(node, facts.get(node.fact))
        return met, [_result(node, met, because, tier, parent)]
    below: list[ConditionResult] = []
    child_met: list[tuple[str, bool]] = []
    for child in node.children:
        met_child, child_results = _evaluate(child, facts, tier, node.id)
        child_met.append((child.id, met_child))
        below.extend(child_results)
    count = sum(met_child for _, met_child in child_met)
    total = len(child_met)
    if isinstance(node, AllOf):
        met = count == total
        unmet = [child_id for child_id, ok in child_met if not ok]
        because = f"{count} of {total} sub-conditions met, needs all {total}"
        if unmet:
            because += f" (not met: {', '.join(unmet)})"
    else:
        met = count >= 1
        because = f"{count} of {total} sub-conditions met, needs at least 1"
    return met, [_result(node, met, because, tier, parent), *below]


def _result(
    node: Condition, met: bool, because: str, tier: Outcome, parent: str | None
) -> ConditionResult:
    return ConditionResult(
        id=node.id,
        met=met,
        description_zh=node.zh,
        description_en=node.en,
        because=because,
        tier=tier,
        parent=parent,
    )


def _compare(node: Comparison, actual: FactValue) -> tuple[bool, str]:
    """Apply one comparison; the rule set guarantees ``actual`` and ``node.value`` match types."""
    expected = node.value
    op = node.op
    if op in {"in", "not_in"}:
        assert isinstance(expected, tuple)
        met = (actual in expected) == (op == "in")
        wanted = ("one of " if op == "in" else "other than ") + ", ".join(expected)
    elif op == "==":
        met = actual == expected
        wanted = _show(expected)
    elif op == "!=":
        met = actual != expected
        wanted = f"≠ {_show(expected)}"
    else:
        assert isinstance(actual, int)
        assert isinstance(expected, int)
        met = {
            "<": actual < expected,
            "<=": actual <= expected,
            ">": actual > expected,
            ">=": actual >= expected,
        }[op]
        wanted = f"{_SYMBOLS[op]} {expected}"
    return met, f"{node.fact} = {_show(actual)}, needs {wanted}"


def _show(value: FactValue | tuple[str, ...]) -> str:
    """Render a value the way the facts file spells it (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)
