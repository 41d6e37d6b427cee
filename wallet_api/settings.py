"""Wallet settings from the environment (``PERMIT_WALLET_*``), passed down by dependency injection.

Nothing reads the environment at import time: :class:`WalletSettings` is built by the process
entry point (``create_app(settings)``, ``permit serve wallet``) and routes receive it through
:data:`SettingsDep` (CONVENTIONS §10). Outside ``development`` and ``test`` the validator refuses
a placeholder key-encryption secret, plain-HTTP loopback issuers and verifiers, an open issuer
list and Argon2 parameters below the OWASP minimum (full-stack-fastapi-template's validator).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from fastapi import Depends, Request
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator as _model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wire.errors import ConfigurationError

__all__ = [
    "DEV_KEY_ENCRYPTION_SECRET",
    "Environment",
    "SettingsDep",
    "WalletSettings",
    "get_settings",
    "normalize_database_url",
]

Environment = Literal["development", "test", "production"]

#: Development default; recognisably a placeholder and refused outside development/test.
DEV_KEY_ENCRYPTION_SECRET = "changethis-development-only-wallet-key-encryption-secret"  # noqa: S105
_PLACEHOLDERS = frozenset({"changethis", "change-me", "changeme", "secret", "password"})
_MIN_SECRET_BYTES = 32
#: OWASP Password Storage Cheat Sheet minimum for Argon2id: 19 MiB, t=2, p=1.
_MIN_ARGON2_MEMORY_KIB = 19_456
_MIN_ARGON2_TIME_COST = 2


def normalize_database_url(url: str) -> str:
    """Point ``postgres://`` / ``postgresql://`` URLs at psycopg 3, the installed driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


class WalletSettings(BaseSettings):
    """Configuration of one wallet deployment (every field reads ``PERMIT_WALLET_<NAME>``)."""

    model_config = SettingsConfigDict(
        env_prefix="PERMIT_WALLET_",
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    environment: Environment = Field(
        default="development",
        validation_alias=AliasChoices("PERMIT_WALLET_ENVIRONMENT", "PERMIT_ENVIRONMENT"),
    )
    database_url: str = Field(
        default="sqlite:///./var/wallet.db",
        validation_alias=AliasChoices("PERMIT_WALLET_DATABASE_URL", "DATABASE_URL"),
    )
    #: Encrypts holder private keys (PKCS#8, one derived passphrase per key) and credentials
    #: (AES-256-GCM) at rest. A database copy without it reveals neither.
    key_encryption_secret: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_SECRET)
    #: Holder session lifetime: short, the web page logs in again.
    session_ttl_seconds: int = Field(default=15 * 60, ge=60, le=3600)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_window_seconds: int = Field(default=5 * 60, ge=1, le=86_400)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    #: Credential Issuer Identifiers whose offers are accepted (exact match). Empty accepts
    #: any https issuer and is allowed only in development/test: the wallet server fetches what
    #: an offer names, so production names its issuers.
    trusted_issuers: tuple[str, ...] = ()
    #: Allow ``http://`` on loopback for issuers, status lists and verifiers (tests, demos).
    allow_insecure_loopback: bool = False
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    #: Copies (each with its own holder key) requested per permit, capped by the issuer's
    #: ``batch_size``: one per kind of verifier keeps presentations unlinkable.
    copies_per_permit: int = Field(default=5, ge=1, le=20)
    #: How often the holder page asks for a fresh presentation (DESIGN §3: at least every 60 s).
    qr_refresh_seconds: int = Field(default=45, ge=30, le=60)
    #: A permit whose endorsement ends within this many days is "due for endorsement".
    endorsement_notice_days: int = Field(default=30, ge=1, le=366)
    #: Longest helper grant (帮办代办).
    helper_grant_max_days: int = Field(default=365, ge=1, le=3660)
    #: Relying-party profiles file (DESIGN §7); the packaged defaults when unset.
    profiles_path: Path | None = None
    sqlite_busy_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        url = normalize_database_url(value.strip())
        if not url.startswith(("sqlite://", "sqlite+pysqlite://", "postgresql+psycopg://")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return url

    @field_validator("trusted_issuers")
    @classmethod
    def _trusted_issuers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for issuer in value:
            parts = urlsplit(issuer)
            if parts.scheme not in ("https", "http") or not parts.hostname or parts.query:
                raise ValueError("trusted_issuers must be absolute http(s) identifiers")
        return value

    @_model_validator(mode="after")
    def _refuse_unsafe_outside_development(self) -> Self:
        secret = self.key_encryption_secret.get_secret_value()
        if len(secret.encode("utf-8")) < _MIN_SECRET_BYTES:
            raise ValueError(f"key_encryption_secret must have at least {_MIN_SECRET_BYTES} bytes")
        if self.environment in ("development", "test"):
            return self
        lowered = secret.strip().lower()
        if lowered in _PLACEHOLDERS or lowered.startswith("changethis"):
            raise ValueError(
                f"key_encryption_secret is a placeholder; set a real one for {self.environment}"
            )
        if self.allow_insecure_loopback:
            raise ValueError(f"allow_insecure_loopback is not allowed in {self.environment}")
        if not self.trusted_issuers:
            raise ValueError(f"trusted_issuers must be set in {self.environment}")
        if any(urlsplit(i).scheme != "https" for i in self.trusted_issuers):
            raise ValueError(f"trusted_issuers must be https in {self.environment}")
        if (
            self.argon2_memory_kib < _MIN_ARGON2_MEMORY_KIB
            or self.argon2_time_cost < _MIN_ARGON2_TIME_COST
        ):
            raise ValueError("argon2 parameters are below the OWASP minimum")
        return self

    @classmethod
    def load(cls, **overrides: object) -> WalletSettings:
        """Environment plus ``overrides``; errors name the settings but never echo values."""
        try:
            return cls.model_validate(overrides)
        except ValidationError as exc:
            problems = sorted(
                {
                    (".".join(str(part) for part in err["loc"]) or "settings")
                    + ": "
                    + err["msg"].removeprefix("Value error, ")
                    for err in exc.errors()
                }
            )
            raise ConfigurationError("invalid wallet settings: " + "; ".join(problems)) from None


def get_settings(request: Request) -> WalletSettings:
    """The settings of the application serving ``request`` (set by ``create_app``)."""
    settings: WalletSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[WalletSettings, Depends(get_settings)]
