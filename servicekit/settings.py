"""Settings shared by the services: the base with ``load``, database and password-hashing fields.

Each service keeps its own settings class (``IssuerSettings``, ``WalletSettings``,
``VerifierSettings``) with its own environment prefix, and declares there what is its own —
including ``environment`` and ``database_url``, whose environment names differ per service.
What is genuinely the same lives here once:

- :class:`ServiceSettings` — frozen, extra variables ignored, and :meth:`~ServiceSettings.load`,
  whose errors name the setting but never echo a value (a secret may be the offending input);
- :class:`DatabaseSettings` — the URL check, SQLite's busy timeout and the PostgreSQL statement
  and lock timeouts that bound a statement that never finishes (docs/faults.md §3);
- :class:`PasswordSettings` — login throttling and Argon2id cost, with the OWASP minimum
  enforced outside development and test;
- :func:`check_secret` — the length and placeholder rule every service secret follows.

Nothing here reads the environment at import time (CONVENTIONS §10).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final, Literal, Self

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from wire.errors import ConfigurationError

__all__ = [
    "MIN_SECRET_BYTES",
    "DatabaseSettings",
    "Environment",
    "PasswordSettings",
    "ServiceSettings",
    "check_secret",
    "database_url_field",
    "environment_field",
    "normalize_database_url",
]

Environment = Literal["development", "test", "production"]

#: HS256 keys and key-encryption secrets shorter than a hash output are weak (RFC 7518 §3.2).
MIN_SECRET_BYTES: Final = 32
#: Well-known example values: refused outside development/test, as is anything "changethis…".
_PLACEHOLDERS: Final = frozenset({"changethis", "change-me", "changeme", "secret", "password"})
#: OWASP Password Storage Cheat Sheet minimum for Argon2id: 19 MiB, t=2, p=1.
_MIN_ARGON2_MEMORY_KIB: Final = 19_456
_MIN_ARGON2_TIME_COST: Final = 2
_DATABASE_SCHEMES: Final = ("sqlite://", "sqlite+pysqlite://", "postgresql+psycopg://")


def normalize_database_url(url: str) -> str:
    """Point plain ``postgres://`` / ``postgresql://`` URLs at psycopg 3, the installed driver.

    Hosting platforms hand out ``DATABASE_URL=postgres://...``; SQLAlchemy would pick psycopg2
    for it, which this project does not ship.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def environment_field(prefix: str) -> Any:
    """The ``environment`` field of a service whose variables start with ``prefix``: read from
    ``<prefix>ENVIRONMENT`` or, shared by every part of a deployment, ``PERMIT_ENVIRONMENT``."""
    return Field(
        default="development",
        validation_alias=AliasChoices(f"{prefix}ENVIRONMENT", "PERMIT_ENVIRONMENT"),
    )


def database_url_field(prefix: str, default: str) -> Any:
    """The ``database_url`` field: ``<prefix>DATABASE_URL``, else the platforms' conventional
    ``DATABASE_URL``, else ``default``."""
    return Field(
        default=default,
        validation_alias=AliasChoices(f"{prefix}DATABASE_URL", "DATABASE_URL"),
    )


def check_secret(name: str, secret: SecretStr, environment: Environment) -> None:
    """Refuse a secret shorter than :data:`MIN_SECRET_BYTES` anywhere, and a placeholder
    outside development and test. The message names the setting, never the value."""
    value = secret.get_secret_value()
    if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must have at least {MIN_SECRET_BYTES} bytes")
    if environment in ("development", "test"):
        return
    lowered = value.strip().lower()
    if lowered in _PLACEHOLDERS or lowered.startswith("changethis"):
        raise ValueError(f"{name} is a placeholder; set a real one for {environment}")


class ServiceSettings(BaseSettings):
    """Base of every service's settings: immutable once built, loaded without echoing values.

    Subclasses set ``env_prefix`` in their ``model_config`` (merged with this one), redeclare
    ``environment`` with :func:`environment_field` for their prefix, and name themselves in
    :attr:`settings_name`.
    """

    model_config = SettingsConfigDict(
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    #: Which service's settings these are, for error messages ("invalid issuer settings: ...").
    settings_name: ClassVar[str] = "service"

    environment: Environment = "development"

    @classmethod
    def load(cls, **overrides: object) -> Self:
        """Environment plus ``overrides``; errors name the settings but never echo values."""
        try:
            return cls.model_validate(overrides)
        except ValidationError as exc:
            # ``msg`` is pydantic's or one of the validators' fixed strings; ``input`` is never
            # shown.
            problems = sorted(
                {
                    (".".join(str(part) for part in err["loc"]) or "settings")
                    + ": "
                    + err["msg"].removeprefix("Value error, ")
                    for err in exc.errors()
                }
            )
            raise ConfigurationError(
                f"invalid {cls.settings_name} settings: " + "; ".join(problems)
            ) from None


class DatabaseSettings(ServiceSettings):
    """The database of a service (SQLite or PostgreSQL) and how long it may hold a request.

    ``database_url`` is redeclared by each service with :func:`database_url_field` (its default
    file and environment names differ); the check below applies to it. The PostgreSQL timeouts
    are set on every connection (:func:`servicekit.db.create_engine_for`) and enforced by the
    server: a statement that runs longer than ``pg_statement_timeout_seconds``, or waits longer
    than ``pg_lock_timeout_seconds`` for a row or table lock, is cancelled, its transaction
    rolled back, and the request answered 503 with ``Retry-After``.
    """

    database_url: str
    #: Seconds a SQLite writer waits for the single write lock before giving up.
    sqlite_busy_timeout_seconds: float = Field(default=10.0, gt=0)
    #: PostgreSQL ``statement_timeout``: the longest any one statement may run.
    pg_statement_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    #: PostgreSQL ``lock_timeout``: the longest a statement may wait for a lock; 0 leaves lock
    #: waits to the statement timeout alone.
    pg_lock_timeout_seconds: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("database_url", check_fields=False)
    @classmethod
    def _database_url(cls, value: str) -> str:
        url = normalize_database_url(value.strip())
        if not url.startswith(_DATABASE_SCHEMES):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return url

    @model_validator(mode="after")
    def _lock_below_statement_timeout(self) -> Self:
        # PostgreSQL docs (lock_timeout): at or above statement_timeout it can never fire, so
        # such a value is a misreading of the two settings, not a choice.
        lock = self.pg_lock_timeout_seconds
        if lock > 0 and lock >= self.pg_statement_timeout_seconds:
            raise ValueError(
                "pg_lock_timeout_seconds must be below pg_statement_timeout_seconds "
                "(0 leaves lock waits to the statement timeout)"
            )
        return self


class PasswordSettings(ServiceSettings):
    """Password logins: the failure throttle and the Argon2id cost of stored password hashes."""

    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_window_seconds: int = Field(default=5 * 60, ge=1, le=86_400)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    @model_validator(mode="after")
    def _argon2_minimum_outside_development(self) -> Self:
        # Tests and development run with cheap parameters (just parameters, no global switch).
        if self.environment in ("development", "test"):
            return self
        if (
            self.argon2_memory_kib < _MIN_ARGON2_MEMORY_KIB
            or self.argon2_time_cost < _MIN_ARGON2_TIME_COST
        ):
            raise ValueError("argon2 parameters are below the OWASP minimum")
        return self
