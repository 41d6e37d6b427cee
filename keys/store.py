"""Key storage behind a small Protocol (CONVENTIONS §9): encrypted PKCS#8 files, or memory.

On disk every private key is one PEM file named ``<kid>.pem`` holding an *encrypted* PKCS#8
structure (pyca ``BestAvailableEncryption``: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), so the
files can be inspected with ``openssl pkcs8`` and backed up without exposing the key. That KDF
is cheap, so the passphrase itself must carry the entropy (see :mod:`keys.settings`). A small
``ring.json`` manifest records which kid is active (DESIGN §2, CONVENTIONS §7). Every write is
atomic with mode 0600. Nothing here logs, and no object's ``repr`` shows a passphrase or key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pydantic import SecretBytes, SecretStr

from keys._files import atomic_write, read_limited
from wire.encoding import json_dumps, loads_object
from wire.errors import ConfigurationError, Malformed
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.trust import load_jwks

__all__ = [
    "MANIFEST_NAME",
    "FileKeyStore",
    "KeyStore",
    "MemoryKeyStore",
    "RingManifest",
    "read_jwks_file",
    "write_jwks_file",
]

MANIFEST_NAME = "ring.json"
_KID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_MAX_KEY_FILE = 64 * 1024
_MAX_JWKS_FILE = 1024 * 1024
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def _check_kid(kid: str) -> str:
    # A kid becomes a file name: only the base64url alphabet, so no path can be smuggled in.
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise ConfigurationError("a kid must be a base64url JWK thumbprint")
    return kid


@dataclass(frozen=True, slots=True)
class RingManifest:
    """Which keys form the ring, active first (persisted as ``ring.json``)."""

    kids: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.kids or len(set(self.kids)) != len(self.kids):
            raise ConfigurationError("key ring manifest: kids must be non-empty and unique")
        for kid in self.kids:
            _check_kid(kid)

    @property
    def active_kid(self) -> str:
        return self.kids[0]

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "active": self.active_kid, "kids": list(self.kids)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> RingManifest:
        kids = obj.get("kids")
        if (
            set(obj) != {"version", "active", "kids"}
            or type(obj["version"]) is not int
            or obj["version"] != 1
            or not isinstance(kids, list)
            or not all(isinstance(kid, str) for kid in kids)
            or not kids
            or obj["active"] != kids[0]
        ):
            raise ConfigurationError("key ring manifest is invalid")
        return cls(tuple(kids))


class KeyStore(Protocol):
    """Where a :class:`~keys.ring.KeyRing` keeps its private keys and its manifest."""

    def save(self, kid: str, key: PrivateKey) -> None: ...

    def load(self, kid: str) -> PrivateKey: ...

    def delete(self, kid: str) -> None: ...

    def list_kids(self) -> list[str]: ...

    def save_manifest(self, manifest: RingManifest) -> None: ...

    def load_manifest(self) -> RingManifest | None: ...


def _kid_of(key: PrivateKey) -> str:
    return thumbprint(public_jwk(key))


class MemoryKeyStore:
    """An in-process :class:`KeyStore` for tests and ephemeral demo services."""

    def __init__(self) -> None:
        self._keys: dict[str, PrivateKey] = {}
        self._manifest: RingManifest | None = None

    def __repr__(self) -> str:
        return f"MemoryKeyStore(kids={sorted(self._keys)!r})"

    def save(self, kid: str, key: PrivateKey) -> None:
        if _check_kid(kid) != _kid_of(key):
            raise ConfigurationError("kid is not the key's RFC 7638 thumbprint")
        self._keys[kid] = key

    def load(self, kid: str) -> PrivateKey:
        try:
            return self._keys[kid]
        except KeyError:
            raise ConfigurationError("key store has no key with this kid") from None

    def delete(self, kid: str) -> None:
        self._keys.pop(kid, None)

    def list_kids(self) -> list[str]:
        return sorted(self._keys)

    def save_manifest(self, manifest: RingManifest) -> None:
        self._manifest = manifest

    def load_manifest(self) -> RingManifest | None:
        return self._manifest


class FileKeyStore:
    """Encrypted PKCS#8 PEM files ``<kid>.pem`` plus ``ring.json`` in one directory.

    The directory is created with mode 0700 and every file is written atomically with mode
    0600. A wrong passphrase, a damaged file, an unencrypted key or a file whose key does not
    match its name all raise :class:`ConfigurationError` with a fixed message.
    """

    __slots__ = ("_directory", "_passphrase")

    def __init__(self, directory: Path, passphrase: SecretStr | SecretBytes | bytes) -> None:
        if isinstance(passphrase, SecretStr):
            raw = passphrase.get_secret_value().encode("utf-8")
        elif isinstance(passphrase, SecretBytes):
            raw = passphrase.get_secret_value()
        else:
            raw = bytes(passphrase)
        if not raw:
            raise ConfigurationError("key passphrase is empty")
        self._directory = Path(directory)
        self._passphrase = SecretBytes(raw)

    def __repr__(self) -> str:
        return f"FileKeyStore(directory={str(self._directory)!r})"

    @property
    def directory(self) -> Path:
        return self._directory

    def _path(self, kid: str) -> Path:
        return self._directory / f"{_check_kid(kid)}.pem"

    def _ensure_directory(self) -> None:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def save(self, kid: str, key: PrivateKey) -> None:
        """Encrypt ``key`` and write it atomically as ``<kid>.pem`` (mode 0600)."""
        if _check_kid(kid) != _kid_of(key):
            raise ConfigurationError("kid is not the key's RFC 7638 thumbprint")
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase.get_secret_value()),
        )
        self._ensure_directory()
        atomic_write(self._path(kid), pem, mode=0o600)

    def load(self, kid: str) -> PrivateKey:
        """Decrypt ``<kid>.pem``; the key inside must be P-256 or Ed25519 and match ``kid``."""
        path = self._path(kid)
        try:
            data = read_limited(path, _MAX_KEY_FILE)
        except FileNotFoundError:
            raise ConfigurationError("key file for a kid of the ring is missing") from None
        except OSError:
            raise ConfigurationError("key file cannot be read") from None
        if data is None or _ENCRYPTED_PEM not in data:
            raise ConfigurationError("key file is not an encrypted PKCS#8 PEM")
        try:
            key = serialization.load_pem_private_key(data, self._passphrase.get_secret_value())
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # One message for every failure (pyca Fernet style): says nothing about the key.
            raise ConfigurationError(
                "key file could not be decrypted (wrong passphrase or damaged file)"
            ) from None
        if not (
            isinstance(key, ed25519.Ed25519PrivateKey)
            or (isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1))
        ):
            raise ConfigurationError("key file holds an unsupported key type")
        if _kid_of(key) != kid:
            raise ConfigurationError("key file does not hold the key its name says")
        return key

    def delete(self, kid: str) -> None:
        """Remove ``<kid>.pem`` (a no-op if it is already gone)."""
        self._path(kid).unlink(missing_ok=True)

    def list_kids(self) -> list[str]:
        """Kids of the key files present, sorted; stray files are ignored."""
        if not self._directory.is_dir():
            return []
        return sorted(
            path.stem for path in self._directory.glob("*.pem") if _KID.fullmatch(path.stem)
        )

    def save_manifest(self, manifest: RingManifest) -> None:
        self._ensure_directory()
        atomic_write(self._directory / MANIFEST_NAME, json_dumps(manifest.to_json()) + b"\n")

    def load_manifest(self) -> RingManifest | None:
        """The ring manifest, or None if this directory holds no ring yet."""
        path = self._directory / MANIFEST_NAME
        try:
            data = read_limited(path, _MAX_JWKS_FILE)
        except FileNotFoundError:
            return None
        except OSError:
            raise ConfigurationError("key ring manifest cannot be read") from None
        if data is None:
            raise ConfigurationError("key ring manifest is invalid")
        try:
            obj = loads_object(data, Malformed)
        except Malformed:
            raise ConfigurationError("key ring manifest is invalid") from None
        return RingManifest.from_json(obj)


def write_jwks_file(path: Path, jwks: Mapping[str, Any]) -> None:
    """Write a public JWKS atomically (mode 0644: it is meant to be published)."""
    load_jwks(dict(jwks))  # never publish something a verifier would refuse
    atomic_write(path, json_dumps(jwks) + b"\n", mode=0o644)


def read_jwks_file(path: Path) -> dict[str, Any]:
    """Read a JWKS file strictly and validate it with :func:`wire.trust.load_jwks`."""
    try:
        data = read_limited(path, _MAX_JWKS_FILE)
    except OSError:
        raise ConfigurationError("JWKS file cannot be read") from None
    if data is None:
        raise ConfigurationError("JWKS file is too large")
    try:
        obj = loads_object(data.lstrip(b" \t\r\n"), Malformed)
    except Malformed:
        raise ConfigurationError("JWKS file is not a strict JSON object") from None
    load_jwks(obj)
    return obj
