"""What a fuzz run found: distinct findings per operation, and the per-service summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["LINKED", "Finding", "OperationReport", "failure_report", "summarize"]

#: The report name of the linked sequences (not an operation of the document).
LINKED: Final = "linked sequences"


@dataclass(frozen=True)
class Finding:
    """One distinct failure: which check, on what status (None: an exception escaped the
    app), and a request that shows it (credentials filtered out by schemathesis)."""

    check: str
    status: int | None
    title: str
    reproduce: str

    @property
    def is_server_error(self) -> bool:
        return self.status is None or self.status >= 500

    def describe(self) -> str:
        status = "exception" if self.status is None else str(self.status)
        return f"[{self.check}] {status} {self.title}\n    {self.reproduce}"


@dataclass
class OperationReport:
    """What fuzzing one operation did: requests, statuses seen, distinct findings and how
    often each was hit."""

    service: str
    operation: str
    requests: int = 0
    seconds: float = 0.0
    #: Linked sequences only: hypothesis ended the run before ``examples`` (see fuzz_links).
    stopped_early: bool = False
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[tuple[str, int | None, str], Finding] = field(default_factory=dict)
    hits: Counter[tuple[str, int | None, str]] = field(default_factory=Counter)

    def record(self, finding: Finding) -> None:
        key = (finding.check, finding.status, finding.title)
        self.findings.setdefault(key, finding)
        self.hits[key] += 1

    @property
    def server_errors(self) -> int:
        """Requests answered 5xx or that crashed the app."""
        return sum(n for key, n in self.hits.items() if self.findings[key].is_server_error)

    @property
    def other_failures(self) -> int:
        return sum(n for key, n in self.hits.items() if not self.findings[key].is_server_error)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operation": self.operation,
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "stopped_early": self.stopped_early,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "server_errors": self.server_errors,
            "other_failures": self.other_failures,
            "findings": [f.describe() for f in self.findings.values()],
        }


def failure_report(reports: Sequence[OperationReport]) -> str:
    """Every distinct finding, grouped by operation, with a request that reproduces it."""
    lines = []
    for report in reports:
        if report.findings:
            lines.append(f"{report.service} {report.operation}:")
            lines += [f"  {finding.describe()}" for finding in report.findings.values()]
    return "\n".join(lines)


def summarize(operations: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per service (``to_json`` rows): operations fuzzed, requests sent (linked sequences
    included), 5xx or crashes, other check failures."""
    services: dict[str, dict[str, int]] = {}
    for op in operations:
        row = services.setdefault(
            op["service"],
            {"operations": 0, "requests": 0, "server_errors": 0, "other_failures": 0},
        )
        row["operations"] += op["operation"] != LINKED
        row["requests"] += op["requests"]
        row["server_errors"] += op["server_errors"]
        row["other_failures"] += op["other_failures"]
    return services
