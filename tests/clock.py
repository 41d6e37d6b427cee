"""The injectable test clock (CONVENTIONS §5) every service's tests share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["START", "FakeClock"]

#: A Monday morning in March, China time 10:00: far from any day or year boundary.
START = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
