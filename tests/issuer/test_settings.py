"""IssuerSettings: environment names, URL normalisation, refusing unsafe production values."""

from __future__ import annotations

import os
from typing import Any

import pytest

from issuer.settings import DEV_JWT_SECRET, IssuerSettings, normalize_database_url
from wire.errors import ConfigurationError

STRONG_SECRET = "k3Jx9-production-grade-secret-value-000000000000"
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "jwt_secret": STRONG_SECRET,
    "issuer_url": "https://permits.sh.example/issuer",
    "public_base_url": "https://permits.sh.example",
    "argon2_memory_kib": 19_456,
    "argon2_time_cost": 2,
    "offer_secret": STRONG_SECRET[::-1],
    "key_dir": "/etc/permit/keys",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment without issuer settings."""
    for name in list(os.environ):
        if name.startswith(("PERMIT_ISSUER_", "PERMIT_ENVIRONMENT")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def test_defaults_suit_development() -> None:
    settings = IssuerSettings.load()
    assert settings.database_url == "sqlite:///./var/issuer.db"
    assert settings.officer_token_ttl_seconds == 15 * 60
    assert settings.login_max_failures == 5
    assert settings.login_window_seconds == 300
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert "shanghai" in settings.jurisdictions


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMIT_ISSUER_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("PERMIT_ISSUER_JURISDICTIONS", '["shanghai", "chengdu"]')
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/issuer")
    settings = IssuerSettings.load()
    assert settings.login_max_failures == 3
    assert settings.jurisdictions == ("shanghai", "chengdu")
    assert settings.database_url == "postgresql+psycopg://u@db.example/issuer"


def test_prefixed_database_url_wins_over_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@other/db")
    monkeypatch.setenv("PERMIT_ISSUER_DATABASE_URL", "sqlite:///x.db")
    assert IssuerSettings.load().database_url == "sqlite:///x.db"


def test_shared_environment_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMIT_ENVIRONMENT", "test")
    assert IssuerSettings.load().environment == "test"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///var/x.db", "sqlite:///var/x.db"),
    ],
)
def test_normalize_database_url(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_production_accepts_real_values() -> None:
    settings = IssuerSettings.load(**PRODUCTION)
    assert settings.environment == "production"


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"jwt_secret": DEV_JWT_SECRET}, "placeholder"),
        ({"jwt_secret": "changethis" + "x" * 40}, "placeholder"),
        ({"jwt_secret": "short"}, "at least 32 bytes"),
        ({"jwt_secret": ""}, "at least 32 bytes"),
        ({"issuer_url": "http://permits.sh.example/issuer"}, "https"),
        ({"public_base_url": "http://permits.sh.example"}, "https"),
        ({"argon2_memory_kib": 8}, "OWASP"),
        ({"argon2_time_cost": 1}, "OWASP"),
    ],
)
def test_production_refuses_unsafe_values(override: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        IssuerSettings.load(**{**PRODUCTION, **override})
    assert problem in caught.value.message


def test_errors_never_echo_the_secret() -> None:
    with pytest.raises(ConfigurationError) as caught:
        IssuerSettings.load(**{**PRODUCTION, "jwt_secret": "changethis-" + "s" * 40})
    assert "changethis-" not in caught.value.message


@pytest.mark.parametrize("environment", ["development", "test"])
def test_placeholder_secret_allowed_in_development_and_test(environment: str) -> None:
    settings = IssuerSettings.load(environment=environment, issuer_url="http://localhost/iss")
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"database_url": "mysql://u@h/db"}, "database_url"),
        ({"jurisdictions": ["atlantis"]}, "jurisdictions"),
        ({"jurisdictions": []}, "jurisdictions"),
        ({"jurisdictions": ["shanghai", "shanghai"]}, "jurisdictions"),
        ({"officer_token_ttl_seconds": 10}, "officer_token_ttl_seconds"),
        ({"login_max_failures": 0}, "login_max_failures"),
        ({"issuer_url": "permits.example/issuer"}, "issuer_url"),
        ({"issuer_url": "https://u:p@permits.example/issuer"}, "userinfo"),
    ],
)
def test_invalid_values_name_the_setting(override: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        IssuerSettings.load(**override)
    assert field in caught.value.message


def test_settings_are_immutable() -> None:
    settings = IssuerSettings.load()
    with pytest.raises(ValueError):
        settings.login_max_failures = 10
