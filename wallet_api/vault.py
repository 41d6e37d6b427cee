"""Encryption at rest of holder keys and credentials, under the wallet's key-encryption secret.

* **Holder keys** are encrypted PKCS#8 PEM (pyca ``BestAvailableEncryption``: PBES2 with
  AES-256-CBC), exactly as :mod:`keys.store` keeps signing keys, so ``openssl pkcs8`` can read
  them. Each key gets its own passphrase, ``HMAC-SHA256(k_key, "holder-key" || copy id)``: high
  entropy, so the cheap PBKDF2 of PKCS#8 costs nothing that matters (≈0.6 ms per key).
* **Credentials** (the SD-JWT, which holds every claim) are AES-256-GCM sealed with the copy id as
  associated data, so a ciphertext moved to another row does not open.
* **Permit numbers** are kept only as ``HMAC(k_ref, issuer || permit_no)``: enough to recognise
  that a new credential renews a stored permit.

Sub-keys are derived from the secret with HKDF-SHA256 and distinct labels. Every failure to
open is one :class:`~wire.errors.ConfigurationError` with a fixed message (Fernet style).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from typing import Final

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from wire.encoding import b64u_encode
from wire.errors import ConfigurationError
from wire.jwk import PrivateKey

__all__ = ["Vault"]

_NONCE_BYTES: Final = 12
_VERSION: Final = b"\x01"


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


class Vault:
    """Seals and opens holder keys and credentials; holds only derived sub-keys."""

    __slots__ = ("_aead", "_key_root", "_ref_key")

    def __init__(self, secret: SecretStr) -> None:
        raw = secret.get_secret_value().encode("utf-8")
        self._aead = AESGCM(_derive(raw, b"residence-permit wallet credential v1"))
        self._key_root = _derive(raw, b"residence-permit wallet holder-key v1")
        self._ref_key = _derive(raw, b"residence-permit wallet permit-ref v1")

    def __repr__(self) -> str:
        return "Vault(<secret>)"

    def permit_ref(self, issuer: str, permit_no: str) -> str:
        """Keyed hash identifying a permit of an issuer without storing its number."""
        message = issuer.encode("utf-8") + b"\x00" + permit_no.encode("utf-8")
        return hmac.new(self._ref_key, message, hashlib.sha256).hexdigest()

    def _passphrase(self, copy_id: uuid.UUID) -> bytes:
        digest = hmac.new(self._key_root, b"holder-key\x00" + copy_id.bytes, hashlib.sha256)
        return b64u_encode(digest.digest()).encode("ascii")

    def seal_key(self, copy_id: uuid.UUID, key: PrivateKey) -> bytes:
        """The holder key as encrypted PKCS#8 PEM."""
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase(copy_id)),
        )

    def open_key(self, copy_id: uuid.UUID, pem: bytes) -> PrivateKey:
        """Decrypt a holder key sealed for ``copy_id``: P-256 or Ed25519 only."""
        try:
            key = serialization.load_pem_private_key(pem, self._passphrase(copy_id))
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ConfigurationError("a stored holder key could not be decrypted") from None
        if isinstance(key, ed25519.Ed25519PrivateKey) or (
            isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
        ):
            return key
        raise ConfigurationError("a stored holder key has an unsupported type")

    def seal_credential(self, copy_id: uuid.UUID, credential: str) -> bytes:
        """``0x01 || nonce || AES-256-GCM(credential)`` with the copy id as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, credential.encode("utf-8"), copy_id.bytes)
        return _VERSION + nonce + sealed

    def open_credential(self, copy_id: uuid.UUID, blob: bytes) -> str:
        """The serialised SD-JWT sealed for ``copy_id``."""
        if len(blob) <= 1 + _NONCE_BYTES or blob[:1] != _VERSION:
            raise ConfigurationError("a stored credential could not be decrypted")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, copy_id.bytes).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise ConfigurationError("a stored credential could not be decrypted") from None
