"""The rule language: condition trees and ordered outcome tiers, validated on load.

A jurisdiction's rules are data (one file per jurisdiction under ``rules/``), so that a policy
change is a reviewed data diff rather than new code, and so that the decision can cite, for every
condition, the wording the file gives it. This module turns the decoded file into immutable
objects and refuses anything the engine could not evaluate on every valid :class:`Facts`:

* a condition node is exactly one of ``{"all": [...]}``, ``{"any": [...]}`` or a comparison
  ``{"fact": F, "op": OP, "value": V}``, plus ``id``, ``zh`` and ``en``;
* ``F`` must be a fact of :data:`~.facts.FACT_SPECS`; ``OP`` must apply to its kind
  (``int``: ``== != < <= > >=``; ``bool``: ``== !=``; ``enum``: ``== != in not_in``); ``V`` must
  have the fact's type (no bool for an int, only listed enum values);
* ids are unique in the file, tier outcomes are distinct and differ from the default.

Pure: no file access here (the loader reads the packaged files), so rule sets built in tests and
rule sets read from disk go through the same validation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from wire.errors import ConfigurationError

from .facts import FACT_SPECS, FactKind

__all__ = [
    "OPERATORS",
    "OUTCOMES",
    "AllOf",
    "AnyOf",
    "Comparison",
    "Condition",
    "LegalBasis",
    "Outcome",
    "RuleFileError",
    "RuleSet",
    "Tier",
    "iter_conditions",
    "parse_ruleset",
]

Outcome = Literal["permit", "temporary_permit", "registration", "ineligible"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]
OPERATORS: tuple[str, ...] = get_args(Operator)

#: Operators that make sense for each kind of fact.
_OPS_BY_KIND: Mapping[FactKind, frozenset[str]] = {
    "int": frozenset({"==", "!=", "<", "<=", ">", ">="}),
    "bool": frozenset({"==", "!="}),
    "enum": frozenset({"==", "!=", "in", "not_in"}),
}

#: Version of the rule-file format this module reads; bump on an incompatible change.
FORMAT_VERSION = 1

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_DEFAULT_OUTCOME: Outcome = "registration"

ComparisonValue = int | bool | str | tuple[str, ...]


class RuleFileError(ConfigurationError):
    """A rule file is malformed; the message says which file, where and what.

    Unlike request errors, the message does quote the offending rule text: rule files are
    published policy, not personal data, and an operator needs the location to fix them.
    """

    def __init__(self, source: str, location: str, problem: str) -> None:
        super().__init__(f"{source}: {location}: {problem}")
        self.source = source
        self.location = location
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Comparison:
    """Leaf condition: ``facts[fact] <op> value``."""

    id: str
    zh: str
    en: str
    fact: str
    op: Operator
    value: ComparisonValue


@dataclass(frozen=True, slots=True)
class AllOf:
    """Met when every child is met (合法稳定居住 *and* 缴纳社保, ...)."""

    id: str
    zh: str
    en: str
    children: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Met when at least one child is met (符合...条件之一)."""

    id: str
    zh: str
    en: str
    children: tuple[Condition, ...]


Condition = Comparison | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Tier:
    """One outcome and the condition that grants it; tiers are tried in file order."""

    outcome: Outcome
    when: Condition


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """The regulation(s) the rules implement, in Chinese (authoritative) and English."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A jurisdiction's validated rules: ordered tiers and the outcome when none is met."""

    jurisdiction: str
    name_zh: str
    name_en: str
    legal_basis: LegalBasis
    tiers: tuple[Tier, ...]
    default: Outcome


def parse_ruleset(data: object, *, source: str) -> RuleSet:
    """Validate decoded rule-file ``data`` into a :class:`RuleSet`.

    ``source`` names the file in error messages. Raises :class:`RuleFileError` on the first
    problem, so a broken file fails when loaded, never halfway through a decision.
    """
    return _Parser(source).ruleset(data)


class _Parser:
    """Walks one rule file, tracking the location for error messages and the ids seen."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._ids: set[str] = set()

    def _fail(self, location: str, problem: str) -> RuleFileError:
        return RuleFileError(self._source, location, problem)

    def _object(self, value: object, location: str, allowed: set[str]) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self._fail(location, "must be an object")
        extra = sorted(str(key) for key in value if key not in allowed)
        if extra:
            raise self._fail(location, f"unknown key {extra[0]!r}")
        return value

    def _text(self, obj: Mapping[str, object], key: str, location: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self._fail(f"{location}.{key}", "must be a non-empty string")
        return value

    def _outcome(self, value: object, location: str) -> Outcome:
        if not isinstance(value, str) or value not in OUTCOMES:
            raise self._fail(location, f"outcome must be one of {', '.join(OUTCOMES)}")
        outcome: Outcome = value  # type: ignore[assignment]  # membership checked above
        return outcome

    def ruleset(self, data: object) -> RuleSet:
        keys = {"format", "jurisdiction", "name_zh", "name_en", "legal_basis", "tiers", "default"}
        top = self._object(data, "$", keys)
        if top.get("format") != FORMAT_VERSION or isinstance(top.get("format"), bool):
            raise self._fail("$.format", f"must be {FORMAT_VERSION}")
        jurisdiction = self._text(top, "jurisdiction", "$")
        if not _ID.match(jurisdiction) or "." in jurisdiction:
            raise self._fail("$.jurisdiction", "must be a lower-case identifier")
        basis = self._object(top.get("legal_basis"), "$.legal_basis", {"zh", "en"})
        legal_basis = LegalBasis(
            zh=self._text(basis, "zh", "$.legal_basis"),
            en=self._text(basis, "en", "$.legal_basis"),
        )
        raw_tiers = top.get("tiers")
        if not isinstance(raw_tiers, list) or not raw_tiers:
            raise self._fail("$.tiers", "must be a non-empty list")
        tiers = tuple(self._tier(raw, f"$.tiers[{i}]") for i, raw in enumerate(raw_tiers))
        default = self._outcome(top.get("default", _DEFAULT_OUTCOME), "$.default")
        seen: set[str] = set()
        for i, tier in enumerate(tiers):
            if tier.outcome in seen or tier.outcome == default:
                raise self._fail(
                    f"$.tiers[{i}].outcome", f"outcome {tier.outcome!r} appears more than once"
                )
            seen.add(tier.outcome)
        return RuleSet(
            jurisdiction=jurisdiction,
            name_zh=self._text(top, "name_zh", "$"),
            name_en=self._text(top, "name_en", "$"),
            legal_basis=legal_basis,
            tiers=tiers,
            default=default,
        )

    def _tier(self, raw: object, location: str) -> Tier:
        obj = self._object(raw, location, {"outcome", "when"})
        outcome = self._outcome(obj.get("outcome"), f"{location}.outcome")
        if "when" not in obj:
            raise self._fail(location, "missing key 'when'")
        return Tier(outcome=outcome, when=self._condition(obj["when"], f"{location}.when"))

    def _condition(self, raw: object, location: str) -> Condition:
        obj = self._object(raw, location, {"id", "zh", "en", "all", "any", "fact", "op", "value"})
        node_id = self._text(obj, "id", location)
        if not _ID.match(node_id):
            raise self._fail(f"{location}.id", f"id {node_id!r} must match {_ID.pattern}")
        if node_id in self._ids:
            raise self._fail(f"{location}.id", f"duplicate id {node_id!r}")
        self._ids.add(node_id)
        zh = self._text(obj, "zh", location)
        en = self._text(obj, "en", location)
        shapes = [key for key in ("all", "any", "fact") if key in obj]
        if len(shapes) != 1:
            raise self._fail(location, "needs exactly one of 'all', 'any' or 'fact'")
        if shapes[0] == "fact":
            return self._comparison(obj, location, node_id, zh, en)
        if "op" in obj or "value" in obj:
            raise self._fail(location, "'op' and 'value' belong to a 'fact' comparison")
        raw_children = obj[shapes[0]]
        if not isinstance(raw_children, list) or not raw_children:
            raise self._fail(f"{location}.{shapes[0]}", "must be a non-empty list")
        children = tuple(
            self._condition(child, f"{location}.{shapes[0]}[{i}]")
            for i, child in enumerate(raw_children)
        )
        if shapes[0] == "all":
            return AllOf(id=node_id, zh=zh, en=en, children=children)
        return AnyOf(id=node_id, zh=zh, en=en, children=children)

    def _comparison(
        self, obj: Mapping[str, object], location: str, node_id: str, zh: str, en: str
    ) -> Comparison:
        fact = obj["fact"]
        if not isinstance(fact, str) or fact not in FACT_SPECS:
            raise self._fail(f"{location}.fact", f"unknown fact {fact!r}")
        spec = FACT_SPECS[fact]
        op = obj.get("op")
        if not isinstance(op, str) or op not in OPERATORS:
            raise self._fail(f"{location}.op", f"unknown op {op!r}")
        if op not in _OPS_BY_KIND[spec.kind]:
            raise self._fail(f"{location}.op", f"op {op!r} does not apply to {spec.kind} fact")
        if "value" not in obj:
            raise self._fail(location, "missing key 'value'")
        value = obj["value"]
        where = f"{location}.value"
        checked: ComparisonValue
        if spec.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self._fail(where, f"{fact} is compared with a non-negative integer")
            checked = value
        elif spec.kind == "bool":
            if not isinstance(value, bool):
                raise self._fail(where, f"{fact} is compared with true or false")
            checked = value
        elif op in {"in", "not_in"}:
            if (
                not isinstance(value, list)
                or not value
                or any(not isinstance(v, str) or v not in spec.choices for v in value)
                or len(set(value)) != len(value)
            ):
                raise self._fail(
                    where, f"{fact} {op} needs distinct values from {', '.join(spec.choices)}"
                )
            checked = tuple(value)
        else:
            if not isinstance(value, str) or value not in spec.choices:
                raise self._fail(where, f"{fact} is one of {', '.join(spec.choices)}")
            checked = value
        operator: Operator = op  # type: ignore[assignment]  # membership checked above
        return Comparison(id=node_id, zh=zh, en=en, fact=fact, op=operator, value=checked)


def iter_conditions(condition: Condition) -> Sequence[Condition]:
    """The node and all its descendants, parents before children (the decision's order)."""
    nodes: list[Condition] = [condition]
    if not isinstance(condition, Comparison):
        for child in condition.children:
            nodes.extend(iter_conditions(child))
    return nodes
