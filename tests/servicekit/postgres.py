"""A row lock held from a second PostgreSQL connection, and what the server cancelled.

Shared by the statement-timeout tests here and in ``tests/faults/{issuer,wallet}``: a test
takes a lock the way a concurrent transaction would (``SELECT ... FOR UPDATE`` in a transaction
left open), lets a request run into it, and then checks which server error ended the wait.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

__all__ = ["TIMEOUTS", "Timeouts", "held_lock", "server_errors"]


@dataclass(frozen=True)
class Timeouts:
    """Settings that make one of the server's timeouts end a lock wait, and what it raises."""

    settings: dict[str, float]
    error: type[BaseException]


#: The two ways the server ends a statement stuck behind a lock, each set to fire first after
#: 1 s (so the tests wait about that long): as fixture parameters.
TIMEOUTS = [
    pytest.param(
        Timeouts(
            {"pg_lock_timeout_seconds": 1, "pg_statement_timeout_seconds": 30},
            psycopg.errors.LockNotAvailable,  # SQLSTATE 55P03
        ),
        id="lock_timeout",
    ),
    pytest.param(
        Timeouts(
            {"pg_lock_timeout_seconds": 0, "pg_statement_timeout_seconds": 1},
            psycopg.errors.QueryCanceled,  # SQLSTATE 57014
        ),
        id="statement_timeout",
    ),
]


@contextlib.contextmanager
def held_lock(engine: Engine, select_for_update: str, **params: Any) -> Iterator[None]:
    """Run ``select_for_update`` on a connection of its own and keep its transaction open for
    the block: the rows it returned stay locked until the block ends (rolled back)."""
    with engine.connect() as conn:
        locked = conn.execute(text(select_for_update), params).all()
        assert locked, "the lock statement matched no row"
        try:
            yield
        finally:
            conn.rollback()


@contextlib.contextmanager
def server_errors(engine: Engine) -> Iterator[list[BaseException]]:
    """The driver exceptions (unwrapped, as psycopg raised them) ``engine`` met in the block."""
    errors: list[BaseException] = []

    def on_error(context: Any) -> None:
        errors.append(context.original_exception)

    event.listen(engine, "handle_error", on_error)
    try:
        yield errors
    finally:
        event.remove(engine, "handle_error", on_error)
