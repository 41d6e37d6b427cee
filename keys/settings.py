"""Key settings from the environment (``PERMIT_*``), validated like every secret here.

Settings are objects that callers build once and pass down (CONVENTIONS §10); nothing reads
the environment at import time. Outside ``development`` the well-known placeholder
passphrases of templates and examples are refused (full-stack-fastapi-template's validator),
and ``production`` also requires a passphrase of at least :data:`MIN_PRODUCTION_PASSPHRASE`
bytes, because PKCS#8 ``BestAvailableEncryption`` uses a cheap KDF (see
:mod:`keys.store`) and the passphrase must resist guessing on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from wire.errors import ConfigurationError

__all__ = ["MIN_PRODUCTION_PASSPHRASE", "PLACEHOLDER_PASSPHRASES", "KeySettings"]

#: Values copied from examples that must never protect a real key (compared case-insensitively).
PLACEHOLDER_PASSPHRASES: frozenset[bytes] = frozenset(
    {
        b"changethis",
        b"change-me",
        b"changeme",
        b"change_me",
        b"dev-passphrase",
        b"development",
        b"passphrase",
        b"password",
        b"secret",
        b"test",
    }
)
MIN_PRODUCTION_PASSPHRASE = 16
_MAX_PASSPHRASE_FILE = 4096

Environment = Literal["development", "test", "production"]


class KeySettings(BaseSettings):
    """Where the key ring lives and how its files are unlocked.

    ``PERMIT_KEY_DIR``, ``PERMIT_KEY_PASSPHRASE``, ``PERMIT_KEY_PASSPHRASE_FILE`` (wins over
    the variable when both are set; one trailing newline is stripped) and
    ``PERMIT_ENVIRONMENT``.
    """

    model_config = SettingsConfigDict(env_prefix="PERMIT_", extra="ignore", frozen=True)

    key_dir: Path
    key_passphrase: SecretStr | None = None
    key_passphrase_file: Path | None = None
    environment: Environment = "development"

    @classmethod
    def load(cls, **overrides: object) -> KeySettings:
        """Build settings from the environment plus ``overrides`` (None values are skipped).

        Validation errors become one :class:`ConfigurationError` that names the fields but
        never echoes their values, which may be secrets.
        """
        values = {name: value for name, value in overrides.items() if value is not None}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            fields = sorted({".".join(str(part) for part in err["loc"]) for err in exc.errors()})
            raise ConfigurationError(
                "invalid key settings: " + ", ".join(f"PERMIT_{f.upper()}" for f in fields)
            ) from None

    def passphrase(self) -> bytes:
        """The key passphrase as bytes, refusing missing, empty or placeholder values."""
        if self.key_passphrase_file is not None:
            raw = self._read_passphrase_file(self.key_passphrase_file)
        elif self.key_passphrase is not None:
            raw = self.key_passphrase.get_secret_value().encode("utf-8")
        else:
            raise ConfigurationError(
                "no key passphrase: set PERMIT_KEY_PASSPHRASE or PERMIT_KEY_PASSPHRASE_FILE"
            )
        if not raw:
            raise ConfigurationError("key passphrase is empty")
        if self.environment != "development" and raw.strip().lower() in PLACEHOLDER_PASSPHRASES:
            raise ConfigurationError(
                f"key passphrase is a placeholder; set a real one for {self.environment}"
            )
        if self.environment == "production" and len(raw) < MIN_PRODUCTION_PASSPHRASE:
            raise ConfigurationError(
                f"key passphrase must have at least {MIN_PRODUCTION_PASSPHRASE} bytes in production"
            )
        return raw

    @staticmethod
    def _read_passphrase_file(path: Path) -> bytes:
        try:
            with path.open("rb") as handle:
                raw = handle.read(_MAX_PASSPHRASE_FILE + 1)
        except OSError:
            raise ConfigurationError("key passphrase file cannot be read") from None
        if len(raw) > _MAX_PASSPHRASE_FILE:
            raise ConfigurationError("key passphrase file is too large")
        # Exactly one trailing newline (LF or CRLF) is what `echo` and editors add.
        if raw.endswith(b"\r\n"):
            return raw[:-2]
        return raw.removesuffix(b"\n")
