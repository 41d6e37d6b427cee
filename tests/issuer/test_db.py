"""Engine set-up and the timestamp type, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, col, select

from issuer.db import TZDateTime, create_engine_for, session_scope
from issuer.models.status import StatusAllocation, StatusList
from tests.clock import START
from tests.issuer.conftest import make_settings

SHANGHAI = timezone(timedelta(hours=8))


def status_list(now: datetime) -> StatusList:
    return StatusList(uri=f"http://127.0.0.1:8000/status/{uuid.uuid4()}", created_at=now)


def insert(engine: Engine, *rows: object) -> None:
    with session_scope(engine) as session:
        session.add_all(rows)
        session.flush()


def test_times_are_stored_in_utc_and_read_back_aware(engine: Engine) -> None:
    local = datetime(2026, 3, 2, 10, 0, 0, 250, tzinfo=SHANGHAI)
    with session_scope(engine) as session:
        row = status_list(local)
        session.add(row)
        session.flush()
        row_id = row.id
    with Session(engine) as session:
        loaded = session.get(StatusList, row_id)
    assert loaded is not None
    assert loaded.created_at == local
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    naive = status_list(datetime(2026, 3, 2, 10, 0))  # naive on purpose
    with pytest.raises(StatementError, match="naive datetime"):
        insert(engine, naive)


def test_comparisons_with_aware_datetimes(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(status_list(START))
    with Session(engine) as session:
        since = START.astimezone(SHANGHAI) - timedelta(seconds=1)
        found = session.exec(select(StatusList).where(col(StatusList.created_at) >= since)).all()
        later = session.exec(
            select(StatusList).where(col(StatusList.created_at) > START + timedelta(seconds=1))
        ).all()
    assert len(found) == 1
    assert later == []


def test_type_decorator_round_trip_without_a_database() -> None:
    sqlite = create_engine("sqlite://").dialect
    postgres = create_engine("postgresql+psycopg://u@h/db").dialect
    kind = TZDateTime()
    local = datetime(2026, 1, 1, 8, 0, tzinfo=SHANGHAI)
    stored = kind.process_bind_param(local, sqlite)
    assert stored == datetime(2026, 1, 1, 0, 0)  # naive UTC wall time on SQLite
    assert kind.process_result_value(stored, sqlite) == local
    assert kind.process_bind_param(local, postgres) == local.astimezone(UTC)
    assert kind.process_bind_param(None, sqlite) is None
    assert kind.process_result_value(None, sqlite) is None


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        insert(engine, StatusAllocation(list_id=999_999, idx=1, allocated_at=START))


def test_a_status_index_can_be_allocated_only_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        row = status_list(START)
        session.add(row)
        session.flush()
        assert row.id is not None
        list_id = row.id
        session.add(StatusAllocation(list_id=list_id, idx=42, allocated_at=START))
    with pytest.raises(IntegrityError):
        insert(engine, StatusAllocation(list_id=list_id, idx=42, allocated_at=START))


def test_check_constraints_hold_in_the_database(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO status_list (uri, bits, size, dirty, version, created_at) "
                "VALUES ('u', 3, 8, true, 0, :t)"
            ),
            {"t": START},
        )


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_engine_for(make_settings(f"sqlite:///{tmp_path}/sub/dir/x.db"))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        engine.dispose()
