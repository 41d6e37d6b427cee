"""The issuer's credential-signing key ring, loaded once per process from the settings.

Production reads an encrypted :class:`~keys.FileKeyStore` (``permit keys generate --dir``):
PKCS#8 files unlocked with the passphrase of :class:`~keys.KeySettings`, which refuses
placeholders outside development. Development and test may run without a key directory; they
get a fresh in-memory key per process, which is fine for one process and a test but means
credentials stop verifying when it restarts, hence refused in production (settings validator).
The ring is immutable (CONVENTIONS §7): signing uses its active ``kid``, and the public JWKS of
every key in it is published at ``/.well-known/jwt-vc-issuer``.
"""

from __future__ import annotations

import logging

from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from keys.settings import KeySettings
from keys.store import FileKeyStore
from wire.errors import ConfigurationError

__all__ = ["load_signing_ring"]

_log = logging.getLogger(__name__)


def load_signing_ring(settings: IssuerSettings) -> KeyRing:
    """The key ring named by ``settings`` (raises :class:`ConfigurationError` if unusable)."""
    if settings.key_dir is None:
        if settings.environment == "production":
            raise ConfigurationError("key_dir is required in production")
        if settings.environment == "development":
            _log.warning("no key_dir: signing with an ephemeral key that dies with the process")
        return KeyRing.generate()
    key_settings = KeySettings.load(
        key_dir=settings.key_dir,
        key_passphrase=settings.key_passphrase,
        key_passphrase_file=settings.key_passphrase_file,
        environment=settings.environment,
    )
    return KeyRing.load(FileKeyStore(key_settings.key_dir, key_settings.passphrase()))
