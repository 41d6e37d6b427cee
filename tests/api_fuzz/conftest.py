"""Settings of the API fuzz tests, and the per-service summary of a run.

Environment (``bin/api-fuzz`` sets the first three): ``API_FUZZ_EXAMPLES`` generated requests
per operation and mode (default :data:`DEFAULT_EXAMPLES`); ``API_FUZZ_BACKENDS=all`` fuzzes
the issuer and wallet on PostgreSQL too (the suite: SQLite only); ``API_FUZZ_SUMMARY`` adds a
line per service to the terminal summary, ``API_FUZZ_REPORT`` names a JSON file for every
operation's statuses and findings; ``API_FUZZ_SEED`` sends another series of requests than the
derandomized default. A service's operations are split in :data:`SHARDS` test items, plus one
for the linked sequences, so ``pytest -n`` spreads them. Each fuzz item attaches its reports
to the pytest report (``user_properties``, which pytest-xdist carries to the controller).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest

from tests.api_fuzz.harness import FuzzTarget, fuzz_links, fuzz_shard
from tests.api_fuzz.report import failure_report, summarize

DEFAULT_EXAMPLES: Final = 8
SHARDS: Final = 2
LINKS: Final = "links"
#: What one fuzz test item runs: a shard of the operations, or the linked sequences.
PARTS: Final[tuple[int | str, ...]] = (*range(SHARDS), LINKS)
_PROPERTY: Final = "api_fuzz"
_HERE: Final = Path(__file__).parent

FuzzRunner = Callable[[FuzzTarget, int | str], None]


def all_backends() -> bool:
    """Whether the issuer and wallet are fuzzed on PostgreSQL too (``API_FUZZ_BACKENDS=all``)."""
    return os.environ.get("API_FUZZ_BACKENDS", "") == "all"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the suite, fuzz on SQLite only: PostgreSQL doubles the cost, and bin/api-fuzz runs it
    (the regression tests of what fuzzing found still run on both backends)."""
    if all_backends():
        return
    skip = pytest.mark.skip(reason="API fuzzing on PostgreSQL runs in bin/api-fuzz")
    for item in items:
        fuzzing = "run_fuzz" in getattr(item, "fixturenames", ())
        if fuzzing and item.path.is_relative_to(_HERE) and item.get_closest_marker("postgres"):
            item.add_marker(skip)


def examples() -> int:
    """Requests per operation and mode: ``API_FUZZ_EXAMPLES`` or the in-suite default."""
    value = os.environ.get("API_FUZZ_EXAMPLES", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_EXAMPLES


def seed() -> int | None:
    """``API_FUZZ_SEED`` picks another series of generated requests (default: derandomized)."""
    value = os.environ.get("API_FUZZ_SEED", "")
    return int(value) if value.isdigit() else None


@pytest.fixture
def run_fuzz(request: pytest.FixtureRequest) -> FuzzRunner:
    """Fuzz one part of a target (a shard of its operations, or the linked sequences), attach
    the reports, fail with every finding."""

    def run(target: FuzzTarget, part: int | str) -> None:
        if part == LINKS:
            reports = [fuzz_links(target, examples=examples())]
        else:
            reports = fuzz_shard(
                target, shard=int(part), shards=SHARDS, examples=examples(), seed=seed()
            )
        for report in reports:
            request.node.user_properties.append((_PROPERTY, json.dumps(report.to_json())))
        findings = failure_report(reports)
        assert not findings, f"schemathesis findings:\n{findings}"

    return run


def _collect(reporter: pytest.TerminalReporter) -> list[dict[str, Any]]:
    collected: list[dict[str, Any]] = []
    for reports in reporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == _PROPERTY:
                    collected.append(json.loads(value))
    return collected


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not os.environ.get("API_FUZZ_SUMMARY"):
        return
    operations = _collect(terminalreporter)
    services = summarize(operations)
    terminalreporter.section(f"API fuzzing ({examples()} examples per operation and mode)")
    terminalreporter.write_line(
        f"{'service':<20}{'operations':>12}{'requests':>10}{'5xx':>6}{'other failures':>16}"
    )
    for name, row in sorted(services.items()):
        terminalreporter.write_line(
            f"{name:<20}{row['operations']:>12}{row['requests']:>10}"
            f"{row['server_errors']:>6}{row['other_failures']:>16}"
        )
    target = os.environ.get("API_FUZZ_REPORT")
    if target:
        document = {"examples": examples(), "services": services, "operations": operations}
        Path(target).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        terminalreporter.write_line(f"details: {target}")
