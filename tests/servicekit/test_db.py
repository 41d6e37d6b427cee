"""The services' engine: every PostgreSQL connection is bounded, and the URL's own choices win.

The PostgreSQL tests run against the real server (127.0.0.1:5432, skipped when unreachable)
and read the bounds back from where they act: ``SHOW`` on the server for the statement and lock
timeouts, the connection's socket options for the keepalives, and the error a real lock wait or
a real slow statement ends with.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy import exc as db_errors
from sqlalchemy import text
from sqlalchemy.engine import Engine

from servicekit.db import (
    DATABASE_UNAVAILABLE,
    PG_CONNECT_TIMEOUT_SECONDS,
    PG_TCP_ARGS,
    create_engine_for,
    postgresql_connect_args,
    postgresql_session_settings,
)
from servicekit.settings import DatabaseSettings
from tests.databases import POSTGRES_URL, postgres_unreachable
from tests.issuer.conftest import make_settings as issuer_settings
from tests.servicekit.postgres import held_lock
from tests.wallet.conftest import make_settings as wallet_settings

__all__ = ["postgres_unreachable"]  # a fixture: pytest finds it by its name here

#: A schema name that need not exist: ``search_path`` accepts it, ``SHOW`` returns it.
SCHEMA = "servicekit_probe"
SCHEMA_URL = f"{POSTGRES_URL}?options=-csearch_path%3D{SCHEMA}"
#: Socket options a Linux kernel reports for libpq's keepalive parameters.
_SOCKET_OPTIONS = {
    "keepalives": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "keepalives_idle": (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
    "keepalives_interval": (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
    "keepalives_count": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
    "tcp_user_timeout": (socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
}
SettingsFor = Callable[..., DatabaseSettings]
SERVICES = [
    pytest.param(issuer_settings, id="issuer"),
    pytest.param(wallet_settings, id="wallet"),
]


def probe(settings: DatabaseSettings, query: str = "") -> DatabaseSettings:
    return settings.model_copy(update={"database_url": f"{SCHEMA_URL}{query}"})


# --- what is asked of libpq and the server (no server needed) ------------------------------


def test_connect_args_add_what_the_url_leaves_out() -> None:
    assert postgresql_connect_args({}) == {
        "connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
        **PG_TCP_ARGS,
    }
    given = postgresql_connect_args({"connect_timeout": "9", "tcp_user_timeout": "100"})
    assert "connect_timeout" not in given
    assert "tcp_user_timeout" not in given
    assert given["keepalives_idle"] == PG_TCP_ARGS["keepalives_idle"]


@pytest.mark.parametrize("settings_for", SERVICES)
def test_session_settings_in_milliseconds_rounded_up(settings_for: SettingsFor) -> None:
    settings = settings_for(
        "sqlite://", pg_statement_timeout_seconds=2.5, pg_lock_timeout_seconds=0.0001
    )
    assert postgresql_session_settings(settings, {}) == {
        "statement_timeout": "2500ms",
        "lock_timeout": "1ms",  # never rounded down to 0, which would switch it off
    }
    off = settings.model_copy(update={"pg_lock_timeout_seconds": 0})
    assert postgresql_session_settings(off, {})["lock_timeout"] == "0ms"


@pytest.mark.parametrize(
    "options",
    [
        "-c statement_timeout=4s",
        "-cstatement_timeout=4s -csearch_path=x",
        ("-csearch_path=x", "--statement_timeout=4s"),
    ],
)
def test_a_timeout_in_the_url_options_wins(options: str | tuple[str, ...]) -> None:
    settings = issuer_settings("sqlite://")
    assert postgresql_session_settings(settings, {"options": options}) == {
        "lock_timeout": "10000ms"
    }


# --- on the real server -----------------------------------------------------------------------


@pytest.fixture
def postgres(postgres_unreachable: str | None) -> None:
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)


@pytest.fixture
def engines() -> Iterator[Callable[[DatabaseSettings], Engine]]:
    made: list[Engine] = []

    def make(settings: DatabaseSettings) -> Engine:
        made.append(create_engine_for(settings))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


def socket_options(connection: Any) -> dict[str, int]:
    """The keepalive options of the connection's TCP socket, as the kernel holds them."""
    fd = connection.connection.dbapi_connection.pgconn.socket
    with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sock:  # a duplicate fd
        return {name: sock.getsockopt(*option) for name, option in _SOCKET_OPTIONS.items()}


def shown(connection: Any, *names: str) -> list[str]:
    return [connection.execute(text(f"SHOW {name}")).scalar_one() for name in names]


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize("settings_for", SERVICES)
def test_every_connection_carries_the_timeouts_and_keepalives(
    settings_for: SettingsFor, engines: Callable[[DatabaseSettings], Engine]
) -> None:
    settings = settings_for(SCHEMA_URL, pg_statement_timeout_seconds=7.5, pg_lock_timeout_seconds=2)
    engine = engines(settings)
    with engine.connect() as first, engine.connect() as second:  # two pooled connections
        for connection in (first, second):
            assert shown(connection, "statement_timeout", "lock_timeout", "search_path") == [
                "7500ms",
                "2s",
                SCHEMA,  # the URL's options are kept
            ]
            assert socket_options(connection) == dict(PG_TCP_ARGS)
            connection.rollback()  # what the pool does on return: the settings survive it
            assert shown(connection, "statement_timeout") == ["7500ms"]


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres")
def test_what_the_url_sets_wins_over_the_defaults(
    engines: Callable[[DatabaseSettings], Engine],
) -> None:
    url = (
        f"{POSTGRES_URL}?options=-cstatement_timeout%3D4s%20-csearch_path%3D{SCHEMA}"
        "&keepalives_idle=7&tcp_user_timeout=1234"
    )
    engine = engines(issuer_settings(url))
    with engine.connect() as connection:
        assert shown(connection, "statement_timeout", "lock_timeout", "search_path") == [
            "4s",
            "10s",
            SCHEMA,
        ]
        assert socket_options(connection) == {
            **PG_TCP_ARGS,
            "keepalives_idle": 7,
            "tcp_user_timeout": 1234,
        }


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres")
def test_a_slow_statement_is_cancelled_and_counts_as_unavailable(
    engines: Callable[[DatabaseSettings], Engine],
) -> None:
    settings = wallet_settings(
        "sqlite://", pg_statement_timeout_seconds=0.2, pg_lock_timeout_seconds=0
    )
    engine = engines(probe(settings))
    with engine.connect() as connection:
        with pytest.raises(db_errors.OperationalError) as cancelled:
            connection.execute(text("SELECT pg_sleep(30)"))
        assert isinstance(cancelled.value, DATABASE_UNAVAILABLE)
        assert isinstance(cancelled.value.orig, psycopg.errors.QueryCanceled)
        assert cancelled.value.orig.sqlstate == "57014"
        connection.rollback()
        assert connection.execute(text("SELECT 1")).scalar_one() == 1  # the connection lives on


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres")
def test_a_lock_wait_is_cancelled_and_counts_as_unavailable(
    engines: Callable[[DatabaseSettings], Engine],
) -> None:
    settings = probe(issuer_settings("sqlite://", pg_lock_timeout_seconds=0.2))
    holder, waiter = engines(settings), engines(settings)
    key = 0x5E41CE  # an advisory lock: a lock wait like a row's, without a table
    with (
        held_lock(holder, "SELECT pg_advisory_xact_lock(:key)", key=key),
        waiter.connect() as connection,
        pytest.raises(db_errors.OperationalError) as cancelled,
    ):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    assert isinstance(cancelled.value, DATABASE_UNAVAILABLE)
    assert isinstance(cancelled.value.orig, psycopg.errors.LockNotAvailable)
    assert cancelled.value.orig.sqlstate == "55P03"
