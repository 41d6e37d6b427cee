"""Verifier service settings from the environment (``PERMIT_VERIFIER_*``), injected, never global.

Nothing reads the environment at import time: :class:`VerifierSettings` is built by the process
entry point (``create_app(settings)``, ``permit serve verifier``) and routes read it from
``app.state`` (CONVENTIONS §10). Outside ``development`` and ``test`` the validator refuses
plain-HTTP loopback exceptions, an unsigned trust list and a public base URL that is not https
(the wallet would refuse to answer a request pointing there anyway).
"""

from __future__ import annotations

from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import Environment, ServiceSettings, environment_field

__all__ = ["Environment", "VerifierSettings"]


class VerifierSettings(ServiceSettings):
    """Configuration of one verifier deployment (every field reads ``PERMIT_VERIFIER_<NAME>``).

    ``load`` (errors name the setting, never the value) is the services' common one
    (:class:`servicekit.settings.ServiceSettings`).
    """

    model_config = SettingsConfigDict(env_prefix="PERMIT_VERIFIER_")
    settings_name = "verifier"

    environment: Environment = environment_field("PERMIT_VERIFIER_")
    #: The trust list (DESIGN §5): a file (plain JSON or ``trustlist+jwt``) or an https URL
    #: serving a signed list. Exactly one of the two.
    trust_list_path: Path | None = None
    trust_list_url: str | None = None
    #: Federation anchor public key (JWK or JWKS) that signs the trust list; required for a URL
    #: and outside development/test.
    trust_anchor_path: Path | None = None
    #: How often the trust list is reloaded; key rotation and removal take effect at the next.
    trust_refresh_seconds: int = Field(default=300, ge=1, le=86_400)
    #: Shared replay cache and request store for several workers or machines.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("PERMIT_VERIFIER_REDIS_URL", "REDIS_URL")
    )
    redis_prefix: str = Field(default="permit:verifier:", min_length=1, max_length=64)
    #: Relying-party profiles (DESIGN §7); the packaged defaults when unset.
    profiles_path: Path | None = None
    #: Verifier accounts (``docs/verifier.md``): id, name, profile and the SHA-256 of the key.
    accounts_path: Path | None = None
    #: Profiles anyone may use without an account key (never a verifier-bound one).
    open_profiles: tuple[str, ...] = ()
    #: Offline: status only from ``status_cache_dir``, up to ``max_offline_age_seconds`` old.
    offline: bool = False
    max_offline_age_seconds: int = Field(default=86_400, ge=0)
    status_cache_dir: Path | None = None
    #: A cached status list is fetched again this many seconds before its ``ttl`` runs out.
    status_refresh_margin_seconds: int = Field(default=30, ge=1, le=3600)
    status_refresh_interval_seconds: int = Field(default=10, ge=1, le=3600)
    #: ``http://`` on loopback for trust and status lists (tests, local demos only).
    allow_insecure_loopback: bool = False
    #: Where wallets reach this service: the base of each request's ``response_uri``.
    public_base_url: str = "http://127.0.0.1:8003"
    #: Lifetime of a verifier-bound request (its nonce) and of its result afterwards.
    request_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    result_ttl_seconds: int = Field(default=600, ge=30, le=86_400)
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    #: FastAPI's native OpenTelemetry (traces, metrics, logs to the globally configured
    #: providers). Off unless asked for: checking for providers costs on every request.
    opentelemetry: bool = False
    #: KB-JWT freshness window (DESIGN §3, default 120 s) and clock leeway.
    kb_window_seconds: int = Field(default=120, ge=10, le=3600)
    leeway_seconds: int = Field(default=60, ge=0, le=600)

    @field_validator("public_base_url", "trust_list_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("must not carry a query, fragment or userinfo")
        return value.rstrip("/") if value.endswith("/") and parts.path != "/" else value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.trust_list_path is None) == (self.trust_list_url is None):
            raise ValueError("set exactly one of trust_list_path and trust_list_url")
        if self.trust_list_url is not None and self.trust_anchor_path is None:
            raise ValueError(
                "a trust list fetched from a URL must be signed: set trust_anchor_path"
            )
        if self.offline and self.status_cache_dir is None:
            raise ValueError("offline mode reads status from status_cache_dir: set it")
        if self.accounts_path is None and not self.open_profiles:
            raise ValueError("nobody could verify: set accounts_path or open_profiles")
        if self.environment in ("development", "test"):
            return self
        if self.allow_insecure_loopback:
            raise ValueError(f"allow_insecure_loopback is not allowed in {self.environment}")
        if self.trust_anchor_path is None:
            raise ValueError(
                f"trust_anchor_path (a signed trust list) is required in {self.environment}"
            )
        if urlsplit(self.public_base_url).scheme != "https":
            raise ValueError(f"public_base_url must be https in {self.environment}")
        return self

    @property
    def base_url(self) -> str:
        """``public_base_url`` without a trailing slash."""
        return self.public_base_url.rstrip("/")
