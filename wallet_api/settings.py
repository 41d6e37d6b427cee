"""Wallet settings from the environment (``PERMIT_WALLET_*``), passed down by dependency injection.

Nothing reads the environment at import time: :class:`WalletSettings` is built by the process
entry point (``create_app(settings)``, ``permit serve wallet``) and routes receive it through
:data:`SettingsDep` (CONVENTIONS §10). Outside ``development`` and ``test`` the validator refuses
a placeholder key-encryption secret, plain-HTTP loopback issuers and verifiers, an open issuer
list and Argon2 parameters below the OWASP minimum (full-stack-fastapi-template's validator).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

from fastapi import Depends, Request
from pydantic import Field, SecretStr, field_validator
from pydantic import model_validator as _model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import (
    DatabaseSettings,
    Environment,
    PasswordSettings,
    check_secret,
    database_url_field,
    environment_field,
    normalize_database_url,
)

__all__ = [
    "DEV_KEY_ENCRYPTION_SECRET",
    "Environment",
    "SettingsDep",
    "WalletSettings",
    "get_settings",
    "normalize_database_url",
]

#: Development default; recognisably a placeholder and refused outside development/test.
DEV_KEY_ENCRYPTION_SECRET = "changethis-development-only-wallet-key-encryption-secret"  # noqa: S105


class WalletSettings(DatabaseSettings, PasswordSettings):
    """Configuration of one wallet deployment (every field reads ``PERMIT_WALLET_<NAME>``).

    The database fields (SQLite busy timeout, PostgreSQL statement and lock timeouts), login
    throttling and Argon2 cost are the services' common ones (:mod:`servicekit.settings`).
    """

    model_config = SettingsConfigDict(env_prefix="PERMIT_WALLET_")
    settings_name = "wallet"

    environment: Environment = environment_field("PERMIT_WALLET_")
    database_url: str = database_url_field("PERMIT_WALLET_", default="sqlite:///./var/wallet.db")
    #: Encrypts holder private keys (PKCS#8, one derived passphrase per key) and credentials
    #: (AES-256-GCM) at rest. A database copy without it reveals neither.
    key_encryption_secret: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_SECRET)
    #: Holder session lifetime: short, the web page logs in again.
    session_ttl_seconds: int = Field(default=15 * 60, ge=60, le=3600)
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
        check_secret("key_encryption_secret", self.key_encryption_secret, self.environment)
        if self.environment in ("development", "test"):
            return self
        if self.allow_insecure_loopback:
            raise ValueError(f"allow_insecure_loopback is not allowed in {self.environment}")
        if not self.trusted_issuers:
            raise ValueError(f"trusted_issuers must be set in {self.environment}")
        if any(urlsplit(i).scheme != "https" for i in self.trusted_issuers):
            raise ValueError(f"trusted_issuers must be https in {self.environment}")
        return self


def get_settings(request: Request) -> WalletSettings:
    """The settings of the application serving ``request`` (set by ``create_app``)."""
    settings: WalletSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[WalletSettings, Depends(get_settings)]
