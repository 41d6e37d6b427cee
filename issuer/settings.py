"""Issuer settings from the environment (``PERMIT_ISSUER_*``), passed down by dependency injection.

Nothing here reads the environment at import time: :class:`IssuerSettings` is built once by the
process entry point (``create_app(settings)``, the CLI) and handed down; routes receive it
through :data:`SettingsDep`, which reads it from the application that owns it, so tests build
their own settings object instead of patching globals (CONVENTIONS §10).

Outside ``development`` and ``test`` the validator refuses what a copied example would bring
along: an empty or placeholder JWT secret, non-HTTPS issuer URLs and Argon2 parameters below the
OWASP password-storage minimum (full-stack-fastapi-template's settings validator).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

from fastapi import Depends, Request
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic import model_validator as _model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import (
    MIN_SECRET_BYTES,
    DatabaseSettings,
    Environment,
    PasswordSettings,
    check_secret,
    database_url_field,
    environment_field,
    normalize_database_url,
)

__all__ = [
    "DEV_JWT_SECRET",
    "DEV_OFFER_SECRET",
    "MIN_JWT_SECRET_BYTES",
    "Environment",
    "IssuerSettings",
    "SettingsDep",
    "get_settings",
    "normalize_database_url",
]

#: HS256 keys shorter than the hash output are weak (RFC 7518 §3.2); PyJWT warns below 32 bytes.
MIN_JWT_SECRET_BYTES = MIN_SECRET_BYTES
#: The development default. Long enough for HS256, recognisably a placeholder, and refused
#: outside development/test (:func:`servicekit.settings.check_secret`).
DEV_JWT_SECRET = "changethis-development-only-officer-jwt-secret"  # noqa: S105 - refused in prod
#: Placeholder for ``offer_secret``; refused outside development/test like the one above.
DEV_OFFER_SECRET = "changethis-development-only-credential-offer-secret"  # noqa: S105


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class IssuerSettings(DatabaseSettings, PasswordSettings):
    """Configuration of one issuer deployment.

    Every field reads ``PERMIT_ISSUER_<NAME>``; ``database_url`` also honours ``DATABASE_URL``
    and ``environment`` also ``PERMIT_ENVIRONMENT`` (shared with the key settings). The
    database fields (SQLite busy timeout, PostgreSQL statement and lock timeouts), login
    throttling and Argon2 cost are the services' common ones (:mod:`servicekit.settings`).
    """

    model_config = SettingsConfigDict(env_prefix="PERMIT_ISSUER_")
    settings_name = "issuer"

    environment: Environment = environment_field("PERMIT_ISSUER_")
    database_url: str = database_url_field("PERMIT_ISSUER_", default="sqlite:///./var/issuer.db")
    #: Signs officer session tokens (HS256). Only the issuer reads it, so a shared secret is
    #: enough; it is never a credential-signing key (those live in ``keys``).
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    officer_token_ttl_seconds: int = Field(default=15 * 60, ge=60, le=3600)
    #: ``iss`` of issued credentials and of officer tokens (DESIGN §2: an https URL).
    issuer_url: str = "http://127.0.0.1:8000/issuer"
    #: Where this service is reachable from outside: offer URIs and status list URIs start here.
    public_base_url: str = "http://127.0.0.1:8000"
    #: Jurisdictions this deployment serves; each must have an eligibility rule file.
    jurisdictions: tuple[str, ...] = (
        "national",
        "shanghai",
        "shenzhen",
        "chengdu",
        "zhengzhou",
        "jiangsu",
    )
    #: Employer batch uploads (issue 3 §7): the largest body (413 beyond) and the most rows
    #: (413 beyond) one upload may carry; split bigger files into several batches.
    batch_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    batch_max_rows: int = Field(default=5000, ge=1, le=100_000)
    #: How often the batch worker looks for queued batches it was not told about (accepted by
    #: another process sharing the database, or whose wake-up was lost).
    batch_poll_seconds: float = Field(default=5.0, gt=0, le=3600)

    # --- issuance (OpenID4VCI), signing keys, status lists, permit lifecycle ----------------
    #: Derives each offer's pre-authorized code and tx_code (HMAC over the offer id), so an
    #: officer can show an offer again while the database keeps only their hashes; refused as
    #: a placeholder outside development/test, like ``jwt_secret``.
    offer_secret: SecretStr = SecretStr(DEV_OFFER_SECRET)
    offer_ttl_seconds: int = Field(default=24 * 3600, ge=300, le=30 * 86_400)
    #: Require a Transaction Code (PIN, sent by a second channel) with every offer (§4.1.1).
    offer_tx_code: bool = True
    tx_code_length: int = Field(default=6, ge=4, le=12)
    #: Wrong PINs before an offer is burned: the online defence against guessing 10^6 codes.
    tx_code_max_attempts: int = Field(default=5, ge=1, le=20)
    access_token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    c_nonce_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    #: Most key proofs (= credential copies) per Credential Request (``batch_size``, §12.2.4).
    credential_batch_size: int = Field(default=5, ge=1, le=20)
    #: Encrypted key ring (``permit keys generate``); also read from ``PERMIT_KEY_DIR`` and
    #: ``PERMIT_KEY_PASSPHRASE(_FILE)``. Unset in development/test: an ephemeral in-memory key.
    key_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("PERMIT_ISSUER_KEY_DIR", "PERMIT_KEY_DIR")
    )
    key_passphrase: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PERMIT_ISSUER_KEY_PASSPHRASE", "PERMIT_KEY_PASSPHRASE"),
    )
    key_passphrase_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "PERMIT_ISSUER_KEY_PASSPHRASE_FILE", "PERMIT_KEY_PASSPHRASE_FILE"
        ),
    )
    #: 签发机关 per jurisdiction: the ``issuing_authority`` claim (DESIGN §2). (A pydantic field:
    #: pydantic copies the default for every instance, so the shared dict is never mutated.)
    authorities: dict[str, str] = {  # noqa: RUF012
        "national": "县级人民政府公安机关",
        "shanghai": "上海市公安局",
        "shenzhen": "深圳市公安局",
        "chengdu": "成都市公安局",
        "zhengzhou": "郑州市公安局",
        "jiangsu": "江苏省公安厅",
    }
    #: Display name in the Credential Issuer Metadata (§12.2.4).
    issuer_display_name: str = Field(default="居住证签发机关", min_length=1, max_length=100)
    #: Entries per Token Status List (herd privacy) and the share allocated before a new list.
    status_list_size: int = Field(default=2**17, ge=1024, le=2**24)
    status_list_fill: float = Field(default=0.9, gt=0, le=0.95)
    #: ``ttl`` claim and ``Cache-Control: max-age`` of served status list tokens.
    status_ttl_seconds: int = Field(default=300, ge=60, le=86_400)
    #: ``exp - iat`` of a status list token; the refresher re-signs at half-life.
    status_token_lifetime_seconds: int = Field(default=86_400, ge=600, le=7 * 86_400)
    #: Period of the background refresher (dirty lists, re-signing, retirement); 0 disables it.
    status_refresh_seconds: float = Field(default=1.0, ge=0, le=3600)
    #: A credential replaced by a renewal or change stays VALID this long, then INVALID.
    credential_grace_days: int = Field(default=7, ge=0, le=90)
    #: Renewal (签注) is accepted only this close to ``endorsed_until``.
    renewal_window_days: int = Field(default=60, ge=1, le=366)

    @_model_validator(mode="after")
    def _issuance_settings(self) -> Self:
        check_secret("offer_secret", self.offer_secret, self.environment)
        missing = [name for name in self.jurisdictions if not self.authorities.get(name)]
        if missing:
            raise ValueError("authorities must name the authority of every served jurisdiction")
        if self.status_ttl_seconds * 2 > self.status_token_lifetime_seconds:
            raise ValueError("status_token_lifetime_seconds must be at least twice the ttl")
        if self.environment in ("development", "test"):
            return self
        if self.key_dir is None:
            raise ValueError(f"key_dir is required in {self.environment}: no ephemeral keys")
        return self

    @field_validator("jurisdictions")
    @classmethod
    def _jurisdictions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from issuer.eligibility import list_jurisdictions

        known = set(list_jurisdictions())
        if not value or any(name not in known for name in value) or len(set(value)) != len(value):
            raise ValueError("jurisdictions must be distinct names that have a rule file")
        return value

    @_model_validator(mode="after")
    def _refuse_unsafe_outside_development(self) -> Self:
        check_secret("jwt_secret", self.jwt_secret, self.environment)
        for name in ("issuer_url", "public_base_url"):
            parts = urlsplit(getattr(self, name))
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError(f"{name} must be an absolute http(s) URL")
            if parts.query or parts.fragment or parts.username or parts.password:
                raise ValueError(f"{name} must not carry a query, fragment or userinfo")
        if self.environment in ("development", "test"):
            return self
        for name in ("issuer_url", "public_base_url"):
            parts = urlsplit(getattr(self, name))
            if parts.scheme != "https" and not _is_loopback(parts.hostname):
                raise ValueError(f"{name} must use https in {self.environment}")
        return self


def get_settings(request: Request) -> IssuerSettings:
    """The settings of the application serving ``request`` (set by ``create_app``)."""
    settings: IssuerSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[IssuerSettings, Depends(get_settings)]
