"""Narration for ``permit demo``: every step says what it does, then checks what happened.

The demo is also a test (tests/test_demo.py), so a check never just prints: a differing
outcome raises :class:`DemoFailure`, which makes ``permit demo`` exit 1. Outcomes are also
collected for ``summary.json``, so a reader (or a test) sees what each step produced.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console

__all__ = ["DemoFailure", "Narrator"]


class DemoFailure(click.ClickException):
    """A step did not behave as narrated: exit status 1."""

    exit_code = 1


@dataclass
class Narrator:
    """Prints steps and checks with rich, and records them for the summary."""

    console: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    steps: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def step(self, title: str) -> None:
        self.console.print(f"\n[bold cyan]▶ {title}[/]")
        self.steps.append({"step": title, "checks": []})

    def note(self, text: str) -> None:
        self.console.print(f"  [dim]{text}[/]")

    def expect(self, what: str, ok: bool, **facts: Any) -> None:
        """Record a check; a failed one stops the demo."""
        if self.steps:
            self.steps[-1]["checks"].append({"check": what, "ok": ok, **facts})
        if not ok:
            self.console.print(f"  [bold red]✗ {what}[/] {facts or ''}")
            raise DemoFailure(f"step did not behave as narrated: {what} {facts or ''}")
        self.console.print(f"  [green]✓[/] {what}")

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 1)
