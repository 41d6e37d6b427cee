"""Verifier accounts: who may verify, and for which relying-party profile (DESIGN §7).

An account is a landlord, a bank branch, a hospital desk or an agency counter. It carries one
profile, so a landlord's verifier receives only the landlord claims whatever was disclosed, and
a bank's account can only use verifier-bound requests. Accounts are configuration, a JSON file::

    {"version": 1,
     "accounts": [{"id": "landlord-wang", "name": "王先生（房东）", "profile": "landlord",
                   "key_sha256": "<hex SHA-256 of the account key>"}]}

Keys are 256-bit random strings handed to the verifier once (:func:`new_account_key`); the file
keeps only their SHA-256, so a copy of it grants nothing. A slow password hash is unnecessary
for keys with that much entropy, and SHA-256 keeps the per-request check in microseconds.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from wire.errors import ConfigurationError
from wire.profiles import Profile

__all__ = ["KEY_PREFIX", "Account", "AccountDirectory", "hash_key", "new_account_key"]

#: Account keys look like ``pvk_<43 base64url chars>``: recognisable in a leaked-secret scan.
KEY_PREFIX = "pvk_"
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_FILE = 1024 * 1024


def new_account_key() -> str:
    """A fresh account key (256 bits from the OS CSPRNG)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Hex SHA-256 of an account key: what the accounts file stores."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Account:
    """One verifier; ``id`` appears in verification records, never a holder's data."""

    id: str
    name: str
    profile: str


class AccountDirectory:
    """Accounts by key digest; built once at start-up from the accounts file."""

    def __init__(self, accounts: Mapping[str, Account]) -> None:
        self._by_digest = MappingProxyType(dict(accounts))

    def __len__(self) -> int:
        return len(self._by_digest)

    def find(self, key: str) -> Account | None:
        """The account holding ``key``, or None (lookup by digest: no key comparison leaks)."""
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
            return None
        return self._by_digest.get(hash_key(key))

    @classmethod
    def load(cls, path: Path | None, profiles: Mapping[str, Profile]) -> AccountDirectory:
        """Validate and load the accounts file; any defect refuses the whole file."""
        if path is None:
            return cls({})
        try:
            data = path.read_bytes()[: _MAX_FILE + 1]
        except OSError:
            raise ConfigurationError("accounts file cannot be read") from None
        if len(data) > _MAX_FILE:
            raise ConfigurationError("accounts file is too large")
        try:
            document = json.loads(data)
        except ValueError:
            raise ConfigurationError("accounts file is not valid JSON") from None
        return cls(parse_accounts(document, profiles))


def parse_accounts(document: object, profiles: Mapping[str, Profile]) -> dict[str, Account]:
    """Accounts by key digest; errors name the position, never a value (CONVENTIONS §4)."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise ConfigurationError("accounts: version must be 1")
    entries = document.get("accounts")
    if not isinstance(entries, list):
        raise ConfigurationError("accounts: 'accounts' must be an array")
    by_digest: dict[str, Account] = {}
    ids: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"accounts[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"id", "name", "profile", "key_sha256"}:
            raise ConfigurationError(f"{where}: members must be id, name, profile, key_sha256")
        account_id, name, profile, digest = (
            entry["id"],
            entry["name"],
            entry["profile"],
            entry["key_sha256"],
        )
        if not isinstance(account_id, str) or not _ID.fullmatch(account_id):
            raise ConfigurationError(f"{where}.id: 1-64 of a-z 0-9 . _ - (starting alphanumeric)")
        if account_id in ids:
            raise ConfigurationError(f"{where}.id: duplicate account id")
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise ConfigurationError(f"{where}.name: a non-empty string of at most 128 characters")
        if not isinstance(profile, str) or profile not in profiles:
            raise ConfigurationError(f"{where}.profile: not a configured profile")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise ConfigurationError(f"{where}.key_sha256: 64 lower-case hex digits")
        if digest in by_digest:
            raise ConfigurationError(f"{where}.key_sha256: two accounts share a key")
        ids.add(account_id)
        by_digest[digest] = Account(account_id, name.strip(), profile)
    return by_digest
