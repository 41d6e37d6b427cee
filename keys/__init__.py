"""Signing keys and trust lists (DESIGN §1, §2, §5), shared by issuer, wallet and verifier.

The public names are re-exported here (CONVENTIONS §2); the submodules are implementation
detail and ``tests/keys/test_ring.py`` pins this list. ``keys.cli`` is deliberately not
imported: the ``permit`` command loads it only when a ``keys`` or ``trust-list`` subcommand runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keys.generate import KEY_ALGS, KeyAlg, generate_private_key
    from keys.ring import KeyRing, RingKey
    from keys.settings import KeySettings
    from keys.store import (
        FileKeyStore,
        KeyStore,
        MemoryKeyStore,
        RingManifest,
        read_jwks_file,
        write_jwks_file,
    )
    from keys.trustlist import (
        TRUST_LIST_TYP,
        AnchorKeys,
        build_trust_list,
        load_trust_list_file,
        sign_trust_list,
        verify_trust_list,
    )

#: Where each public name lives. Re-exports resolve lazily (PEP 562) so that ``permit verify``,
#: which needs only the trust-list loader, does not import pydantic-settings and the key store.
_HOMES = {
    "KEY_ALGS": "keys.generate",
    "KeyAlg": "keys.generate",
    "generate_private_key": "keys.generate",
    "KeyRing": "keys.ring",
    "RingKey": "keys.ring",
    "KeySettings": "keys.settings",
    "FileKeyStore": "keys.store",
    "KeyStore": "keys.store",
    "MemoryKeyStore": "keys.store",
    "RingManifest": "keys.store",
    "read_jwks_file": "keys.store",
    "write_jwks_file": "keys.store",
    "TRUST_LIST_TYP": "keys.trustlist",
    "AnchorKeys": "keys.trustlist",
    "build_trust_list": "keys.trustlist",
    "load_trust_list_file": "keys.trustlist",
    "sign_trust_list": "keys.trustlist",
    "verify_trust_list": "keys.trustlist",
}


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'keys' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "KEY_ALGS",
    "TRUST_LIST_TYP",
    "AnchorKeys",
    "FileKeyStore",
    "KeyAlg",
    "KeyRing",
    "KeySettings",
    "KeyStore",
    "MemoryKeyStore",
    "RingKey",
    "RingManifest",
    "build_trust_list",
    "generate_private_key",
    "load_trust_list_file",
    "read_jwks_file",
    "sign_trust_list",
    "verify_trust_list",
    "write_jwks_file",
]
