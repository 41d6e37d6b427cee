"""Signing keys and trust lists (DESIGN §1, §2, §5), shared by issuer, wallet and verifier.

The public names are re-exported here (CONVENTIONS §2); the submodules are implementation
detail and ``tests/keys/test_ring.py`` pins this list. ``keys.cli`` is deliberately not
imported: the ``permit`` command loads it only when a ``keys`` or ``trust-list`` subcommand runs.
"""

from __future__ import annotations

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
