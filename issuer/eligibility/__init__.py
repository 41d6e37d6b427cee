"""Residence-permit (居住证) eligibility: jurisdiction rules as data, decided by pure logic.

``load_rules("shanghai")`` reads and validates a packaged rule file, ``Facts.from_mapping``
validates what an applicant states, and ``decide(rules, facts)`` returns a :class:`Decision`
listing every condition with its reason. See docs/eligibility.md for the rule language and the
legal basis of each jurisdiction (居住证暂行条例, 2016, and the city rules).
"""

from __future__ import annotations

from .engine import ConditionResult, Decision, decide
from .facts import FACT_SPECS, Facts
from .loader import decode_rules, list_jurisdictions, load_rules
from .ruleset import OUTCOMES, Outcome, RuleFileError, RuleSet, parse_ruleset

__all__ = [
    "FACT_SPECS",
    "OUTCOMES",
    "ConditionResult",
    "Decision",
    "Facts",
    "Outcome",
    "RuleFileError",
    "RuleSet",
    "decide",
    "decode_rules",
    "list_jurisdictions",
    "load_rules",
    "parse_ruleset",
]
