"""``permit eligibility``: decide an applicant's outcome from a facts file.

Exit status 0 for every decision (ineligible is an answer, not a failure) and 2 with one line on
stderr for bad input or a broken rule file, never a traceback: the command is meant for
caseworkers and scripts alike. ``rich`` is imported only to render the human table, so
``--json`` and ``--list`` stay fast (permit_cli loads this module lazily for the same reason).
"""

from __future__ import annotations

import json
from typing import NoReturn

import click

from wire.errors import InvalidInput, PermitError

from .engine import Decision, decide
from .facts import Facts
from .jsontext import DuplicateKeyError, loads_strict
from .loader import list_jurisdictions, load_rules
from .ruleset import RuleSet

__all__ = ["eligibility"]

#: A facts file is a dozen short fields; anything far larger is not one.
MAX_FACTS_BYTES = 64 * 1024

OUTCOME_LABELS: dict[str, str] = {
    "permit": "居住证 residence permit",
    "temporary_permit": "临时居住证 temporary residence permit",
    "registration": "居住登记 residence registration (starts the residence clock)",
    "ineligible": "无需登记 not eligible for registration (stay too short)",
}


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--jurisdiction", "-j", metavar="J", help="Jurisdiction whose rules apply.")
@click.option("--list", "list_only", is_flag=True, help="List the jurisdictions and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.argument("facts_path", metavar="[FACTS.json]", required=False)
def eligibility(
    jurisdiction: str | None, list_only: bool, as_json: bool, facts_path: str | None
) -> None:
    """Decide residence-permit eligibility for the facts in FACTS.json ("-" reads stdin)."""
    try:
        if list_only:
            _print_list(as_json=as_json)
            return
        if jurisdiction is None:
            raise InvalidInput("--jurisdiction is required (see --list)", field="jurisdiction")
        if facts_path is None:
            raise InvalidInput("FACTS.json is required (a path, or - for stdin)", field="facts")
        rules = load_rules(jurisdiction)
        facts = Facts.from_mapping(_decode(_read(facts_path)))
        decision = decide(rules, facts)
    except PermitError as exc:
        _fail(exc)
    if as_json:
        click.echo(decision.to_json())
    else:
        _print_table(decision, rules)


def _fail(exc: PermitError) -> NoReturn:
    """One line on stderr, exit 2; the message is a fixed string chosen at the raise site."""
    field = getattr(exc, "field", None)
    suffix = f" [field: {field}]" if field and field not in exc.message else ""
    click.echo(f"error: {exc.message}{suffix}", err=True)
    raise SystemExit(2)


def _read(path: str) -> str:
    """Text of the facts file, or of stdin for ``-``, refusing anything oversized."""
    try:
        # click.open_file maps "-" to stdin (and leaves stdin open on exit).
        with click.open_file(path, "rb") as handle:
            raw: bytes = handle.read(MAX_FACTS_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read FACTS.json: {exc.strerror}", field="facts") from None
    if len(raw) > MAX_FACTS_BYTES:
        raise InvalidInput("FACTS.json is too large", field="facts")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("FACTS.json is not UTF-8 text", field="facts") from None


def _decode(text: str) -> object:
    try:
        return loads_strict(text)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidInput("FACTS.json is not valid JSON", field="facts") from None
    except DuplicateKeyError as exc:
        raise InvalidInput("a fact is given twice", field=exc.key[:64]) from None


def _print_list(*, as_json: bool) -> None:
    rule_sets = [load_rules(name) for name in list_jurisdictions()]
    if as_json:
        listing = [
            {
                "jurisdiction": rules.jurisdiction,
                "name_zh": rules.name_zh,
                "name_en": rules.name_en,
                "legal_basis": rules.legal_basis.zh,
            }
            for rules in rule_sets
        ]
        click.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    for rules in rule_sets:
        click.echo(f"{rules.jurisdiction:<10} {rules.name_zh} / {rules.name_en}")
        click.echo(f"{'':<10} {rules.legal_basis.zh}")


def _print_table(decision: Decision, rules: RuleSet) -> None:
    """Human-readable decision: outcome, legal basis, then every condition as an indented tree."""
    # Lazy on purpose: rich costs import time that --json and --list callers should not pay.
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    console.print(Text(f"Outcome: {decision.outcome} — {OUTCOME_LABELS[decision.outcome]}"))
    console.print(Text(f"Jurisdiction: {rules.name_zh} / {rules.name_en} ({rules.jurisdiction})"))
    console.print(Text(f"Legal basis: {decision.legal_basis}"))
    console.print(Text(f"             {decision.legal_basis_en}"))

    depth: dict[str, int] = {}
    tables: dict[str, Table] = {}
    for condition in decision.conditions:
        table = tables.get(condition.tier)
        if table is None:
            table = Table(title=f"{condition.tier} tier", title_justify="left", show_lines=True)
            table.add_column("", no_wrap=True)
            table.add_column("Condition", overflow="fold", ratio=3)
            table.add_column("Because", overflow="fold", ratio=2)
            tables[condition.tier] = table
        level = 0 if condition.parent is None else depth[condition.parent] + 1
        depth[condition.id] = level
        indent = "  " * level
        table.add_row(
            Text("✓" if condition.met else "✗"),
            Text(
                f"{indent}{condition.id}\n{indent}{condition.description_zh}\n"
                f"{indent}{condition.description_en}"
            ),
            Text(condition.because),
        )
    for table in tables.values():
        console.print(table)
