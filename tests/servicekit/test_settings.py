"""The settings every service shares: loading without echo, database bounds, password hashing."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from issuer.settings import IssuerSettings
from servicekit.settings import (
    DatabaseSettings,
    Environment,
    PasswordSettings,
    check_secret,
    database_url_field,
    environment_field,
    normalize_database_url,
)
from verifier.service.settings import VerifierSettings
from wallet_api.settings import WalletSettings
from wire.errors import ConfigurationError

SECRET = "a-real-secret-that-is-long-enough-0123456789"


class ExampleSettings(DatabaseSettings, PasswordSettings):
    """A service's settings as the issuer and the wallet declare theirs."""

    model_config = SettingsConfigDict(env_prefix="PERMIT_EXAMPLE_")
    settings_name = "example"

    environment: Environment = environment_field("PERMIT_EXAMPLE_")
    database_url: str = database_url_field("PERMIT_EXAMPLE_", default="sqlite:///./var/example.db")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "PERMIT_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


def test_database_defaults_bound_every_wait() -> None:
    settings = ExampleSettings.load()
    assert settings.sqlite_busy_timeout_seconds == 10.0
    assert settings.pg_statement_timeout_seconds == 30.0
    assert settings.pg_lock_timeout_seconds == 10.0


def test_the_services_inherit_the_database_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMIT_ISSUER_PG_STATEMENT_TIMEOUT_SECONDS", "12")
    monkeypatch.setenv("PERMIT_WALLET_PG_LOCK_TIMEOUT_SECONDS", "0")
    assert IssuerSettings.load().pg_statement_timeout_seconds == 12.0
    assert WalletSettings.load().pg_lock_timeout_seconds == 0.0


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"pg_statement_timeout_seconds": 0}, "pg_statement_timeout_seconds"),
        ({"pg_statement_timeout_seconds": 3601}, "pg_statement_timeout_seconds"),
        ({"pg_lock_timeout_seconds": -1}, "pg_lock_timeout_seconds"),
        ({"pg_lock_timeout_seconds": 30}, "below pg_statement_timeout_seconds"),
        (
            {"pg_lock_timeout_seconds": 5, "pg_statement_timeout_seconds": 2},
            "below pg_statement_timeout_seconds",
        ),
        ({"sqlite_busy_timeout_seconds": 0}, "sqlite_busy_timeout_seconds"),
        ({"database_url": "mysql://u@h/db"}, "database_url"),
    ],
)
def test_database_settings_refuse_what_cannot_bound_a_wait(
    overrides: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        ExampleSettings.load(**overrides)
    assert refused.value.message.startswith("invalid example settings: ")
    assert problem in refused.value.message


def test_a_lock_timeout_of_zero_leaves_lock_waits_to_the_statement_timeout() -> None:
    settings = ExampleSettings.load(pg_lock_timeout_seconds=0, pg_statement_timeout_seconds=1)
    assert settings.pg_lock_timeout_seconds == 0


def test_database_url_aliases_and_normalisation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/x")
    assert ExampleSettings.load().database_url == "postgresql+psycopg://u@db.example/x"
    monkeypatch.setenv("PERMIT_EXAMPLE_DATABASE_URL", "sqlite:///y.db")
    assert ExampleSettings.load().database_url == "sqlite:///y.db"
    assert normalize_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"


def test_load_never_echoes_the_offending_value() -> None:
    with pytest.raises(ConfigurationError) as refused:
        ExampleSettings.load(database_url="mysql://admin:hunter2-secret@db.internal/x")
    assert "hunter2" not in refused.value.message
    assert "db.internal" not in refused.value.message


def test_argon2_minimum_holds_outside_development_only() -> None:
    cheap = {"argon2_time_cost": 1, "argon2_memory_kib": 8}
    assert ExampleSettings.load(environment="test", **cheap).argon2_memory_kib == 8
    with pytest.raises(ConfigurationError) as refused:
        ExampleSettings.load(environment="production", **cheap)
    assert "OWASP" in refused.value.message
    assert ExampleSettings.load(environment="production").argon2_time_cost == 3


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_check_secret_refuses_short_secrets_everywhere(environment: Environment) -> None:
    with pytest.raises(ValueError, match="my_secret must have at least 32 bytes"):
        check_secret("my_secret", SecretStr("short"), environment)


@pytest.mark.parametrize("value", ["changethis-" + "x" * 40, "  CHANGETHIS" + "y" * 40])
def test_check_secret_refuses_placeholders_outside_development(value: str) -> None:
    check_secret("my_secret", SecretStr(value), "development")
    check_secret("my_secret", SecretStr(value), "test")
    with pytest.raises(ValueError, match="placeholder; set a real one for production") as refused:
        check_secret("my_secret", SecretStr(value), "production")
    assert value.strip() not in str(refused.value)
    check_secret("my_secret", SecretStr(SECRET), "production")


def test_each_service_names_itself_in_its_errors() -> None:
    for settings, name in (
        (IssuerSettings, "issuer"),
        (WalletSettings, "wallet"),
        (VerifierSettings, "verifier"),
    ):
        with pytest.raises(ConfigurationError) as refused:
            settings.load(environment="nowhere")
        assert refused.value.message.startswith(f"invalid {name} settings: environment")
