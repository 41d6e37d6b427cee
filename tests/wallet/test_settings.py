"""Wallet settings: environment prefix, safe defaults, refusals outside development."""

from __future__ import annotations

import pytest

from wallet_api.settings import WalletSettings
from wire.errors import ConfigurationError

_REAL = "a-real-wallet-key-encryption-secret-0123456789abcdef"


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMIT_WALLET_SESSION_TTL_SECONDS", "600")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/wallet")
    settings = WalletSettings.load()
    assert settings.session_ttl_seconds == 600
    assert settings.database_url == "postgresql+psycopg://u@db:5432/wallet"


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # placeholder secret
        {"key_encryption_secret": _REAL},  # no trusted issuers
        {"key_encryption_secret": _REAL, "trusted_issuers": ["http://permits.example/issuer"]},
        {
            "key_encryption_secret": _REAL,
            "trusted_issuers": ["https://permits.example/issuer"],
            "allow_insecure_loopback": True,
        },
        {
            "key_encryption_secret": _REAL,
            "trusted_issuers": ["https://permits.example/issuer"],
            "argon2_memory_kib": 1024,
        },
    ],
)
def test_production_refuses_unsafe_settings(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as refused:
        WalletSettings.load(environment="production", **overrides)
    assert _REAL not in refused.value.message


def test_production_accepts_safe_settings() -> None:
    settings = WalletSettings.load(
        environment="production",
        key_encryption_secret=_REAL,
        trusted_issuers=["https://permits.example/issuer"],
    )
    assert settings.trusted_issuers == ("https://permits.example/issuer",)
    assert _REAL not in repr(settings)


@pytest.mark.parametrize(
    "overrides",
    [
        {"key_encryption_secret": "short"},
        {"database_url": "mysql://x"},
        {"qr_refresh_seconds": 90},
        {"trusted_issuers": ["not a url"]},
    ],
)
def test_invalid_values_are_configuration_errors(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        WalletSettings.load(**overrides)
