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
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from fastapi import Depends, Request
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator as _model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wire.errors import ConfigurationError

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

Environment = Literal["development", "test", "production"]

#: HS256 keys shorter than the hash output are weak (RFC 7518 §3.2); PyJWT warns below 32 bytes.
MIN_JWT_SECRET_BYTES = 32
#: The development default. Long enough for HS256, recognisably a placeholder, and refused
#: outside development/test together with the other well-known example values below.
DEV_JWT_SECRET = "changethis-development-only-officer-jwt-secret"  # noqa: S105 - refused in prod
#: Placeholder for ``offer_secret``; refused outside development/test like the one above.
DEV_OFFER_SECRET = "changethis-development-only-credential-offer-secret"  # noqa: S105
_PLACEHOLDER_SECRETS = frozenset({"changethis", "change-me", "changeme", "secret", "password"})

#: OWASP Password Storage Cheat Sheet minimum for Argon2id: 19 MiB, t=2, p=1.
_MIN_ARGON2_MEMORY_KIB = 19_456
_MIN_ARGON2_TIME_COST = 2


def normalize_database_url(url: str) -> str:
    """Point plain ``postgres://`` / ``postgresql://`` URLs at psycopg 3, the installed driver.

    Hosting platforms hand out ``DATABASE_URL=postgres://...``; SQLAlchemy would pick psycopg2 for
    it, which this project does not ship.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class IssuerSettings(BaseSettings):
    """Configuration of one issuer deployment.

    Every field reads ``PERMIT_ISSUER_<NAME>``; ``database_url`` also honours ``DATABASE_URL``
    and ``environment`` also ``PERMIT_ENVIRONMENT`` (shared with the key settings).
    """

    model_config = SettingsConfigDict(
        env_prefix="PERMIT_ISSUER_",
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    environment: Environment = Field(
        default="development",
        validation_alias=AliasChoices("PERMIT_ISSUER_ENVIRONMENT", "PERMIT_ENVIRONMENT"),
    )
    database_url: str = Field(
        default="sqlite:///./var/issuer.db",
        validation_alias=AliasChoices("PERMIT_ISSUER_DATABASE_URL", "DATABASE_URL"),
    )
    #: Signs officer session tokens (HS256). Only the issuer reads it, so a shared secret is
    #: enough; it is never a credential-signing key (those live in ``keys``).
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    officer_token_ttl_seconds: int = Field(default=15 * 60, ge=60, le=3600)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_window_seconds: int = Field(default=5 * 60, ge=1, le=86_400)
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
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    #: Seconds a SQLite writer waits for the single write lock before giving up.
    sqlite_busy_timeout_seconds: float = Field(default=10.0, gt=0)
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
    #: 签发机关 per jurisdiction: the ``issuing_authority`` claim (DESIGN §2).
    authorities: dict[str, str] = {
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
        secret = self.offer_secret.get_secret_value()
        if len(secret.encode("utf-8")) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"offer_secret must have at least {MIN_JWT_SECRET_BYTES} bytes")
        missing = [name for name in self.jurisdictions if not self.authorities.get(name)]
        if missing:
            raise ValueError("authorities must name the authority of every served jurisdiction")
        if self.status_ttl_seconds * 2 > self.status_token_lifetime_seconds:
            raise ValueError("status_token_lifetime_seconds must be at least twice the ttl")
        if self.environment in ("development", "test"):
            return self
        lowered = secret.strip().lower()
        if lowered in _PLACEHOLDER_SECRETS or lowered.startswith("changethis"):
            raise ValueError(
                f"offer_secret is a placeholder; set a real one for {self.environment}"
            )
        if self.key_dir is None:
            raise ValueError(f"key_dir is required in {self.environment}: no ephemeral keys")
        return self

    @classmethod
    def load(cls, **overrides: object) -> IssuerSettings:
        """Environment plus ``overrides``; errors name the settings but never echo values."""
        try:
            return cls.model_validate(overrides)
        except ValidationError as exc:
            # ``msg`` is pydantic's or one of the fixed strings above; ``input`` is never shown.
            problems = sorted(
                {
                    (".".join(str(part) for part in err["loc"]) or "settings")
                    + ": "
                    + err["msg"].removeprefix("Value error, ")
                    for err in exc.errors()
                }
            )
            raise ConfigurationError("invalid issuer settings: " + "; ".join(problems)) from None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        url = normalize_database_url(value.strip())
        if not url.startswith(("sqlite://", "sqlite+pysqlite://", "postgresql+psycopg://")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return url

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
        secret = self.jwt_secret.get_secret_value()
        if len(secret.encode("utf-8")) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"jwt_secret must have at least {MIN_JWT_SECRET_BYTES} bytes")
        for name in ("issuer_url", "public_base_url"):
            parts = urlsplit(getattr(self, name))
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError(f"{name} must be an absolute http(s) URL")
            if parts.query or parts.fragment or parts.username or parts.password:
                raise ValueError(f"{name} must not carry a query, fragment or userinfo")
        if self.environment in ("development", "test"):
            return self
        lowered = secret.strip().lower()
        if lowered in _PLACEHOLDER_SECRETS or lowered.startswith("changethis"):
            raise ValueError(f"jwt_secret is a placeholder; set a real one for {self.environment}")
        for name in ("issuer_url", "public_base_url"):
            parts = urlsplit(getattr(self, name))
            if parts.scheme != "https" and not _is_loopback(parts.hostname):
                raise ValueError(f"{name} must use https in {self.environment}")
        if (
            self.argon2_memory_kib < _MIN_ARGON2_MEMORY_KIB
            or self.argon2_time_cost < _MIN_ARGON2_TIME_COST
        ):
            raise ValueError("argon2 parameters are below the OWASP minimum")
        return self


def get_settings(request: Request) -> IssuerSettings:
    """The settings of the application serving ``request`` (set by ``create_app``)."""
    settings: IssuerSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[IssuerSettings, Depends(get_settings)]
