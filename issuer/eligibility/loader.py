"""Read the packaged rule files (``rules/<jurisdiction>.json``) via importlib.resources.

The only module of the package that touches files, kept apart so the engine and the rule
language stay pure. Rule files travel inside the wheel (package data), so the rules a deployed
issuer applies are exactly the reviewed files of its release.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from wire.errors import InvalidInput

from .jsontext import DuplicateKeyError, loads_strict
from .ruleset import RuleFileError, RuleSet, parse_ruleset

__all__ = ["decode_rules", "list_jurisdictions", "load_rules"]

_PACKAGE = "issuer.eligibility.rules"
_SUFFIX = ".json"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def list_jurisdictions() -> tuple[str, ...]:
    """Names of the jurisdictions that have a rule file, sorted."""
    names = (
        entry.name.removesuffix(_SUFFIX)
        for entry in resources.files(_PACKAGE).iterdir()
        if entry.name.endswith(_SUFFIX) and entry.is_file()
    )
    return tuple(sorted(name for name in names if _NAME.match(name)))


def load_rules(jurisdiction: str) -> RuleSet:
    """Load and validate the rules of ``jurisdiction``.

    Raises :class:`InvalidInput` (``field="jurisdiction"``) for a name without a rule file, so a
    request can never steer the loader to another path, and :class:`RuleFileError` when the
    packaged file itself is broken.
    """
    if not isinstance(jurisdiction, str) or jurisdiction not in list_jurisdictions():
        raise InvalidInput("unknown jurisdiction", field="jurisdiction")
    filename = jurisdiction + _SUFFIX
    text = resources.files(_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    rules = decode_rules(text, source=filename)
    if rules.jurisdiction != jurisdiction:
        raise RuleFileError(filename, "$.jurisdiction", "does not match the file name")
    return rules


def decode_rules(text: str, *, source: str) -> RuleSet:
    """Parse rule-file JSON text and validate it (duplicate keys are refused, not overwritten)."""
    try:
        data = loads_strict(text)
    except json.JSONDecodeError as exc:
        raise RuleFileError(source, f"line {exc.lineno}", "is not valid JSON") from None
    except DuplicateKeyError as exc:
        raise RuleFileError(source, "$", f"duplicate key {exc.key!r}") from None
    return parse_ruleset(data, source=source)
