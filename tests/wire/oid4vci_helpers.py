"""Values the OpenID4VCI wire tests share (tests/wire/test_oid4vci_*.py).

The key-proof, metadata and end-to-end tests must agree on one issuer, one clock and one
``c_nonce``, and the holder keys are generated once per session so the modules stay fast.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ISSUER = "https://permits.sh.example/issuer"
NOW = 1_750_000_000
NONCE = "wKI4LT17ac15ES9bw8ac4"
ALGS = frozenset({"ES256", "EdDSA"})

EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_EC_KEY = ec.generate_private_key(ec.SECP256R1())


class NonceStore:
    """A stand-in for the issuer's nonce store that records every lookup."""

    def __init__(self, *valid: str) -> None:
        self.valid = set(valid or {NONCE})
        self.calls: list[str] = []

    def __call__(self, nonce: str) -> bool:
        self.calls.append(nonce)
        return nonce in self.valid
