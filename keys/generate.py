"""Fresh signing keys of the two types DESIGN §2 allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from wire.errors import ConfigurationError
from wire.jwk import PrivateKey

__all__ = ["KEY_ALGS", "KeyAlg", "generate_private_key"]

KeyAlg = Literal["ES256", "EdDSA"]

_GENERATORS: dict[str, Callable[[], PrivateKey]] = {
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}
#: The algorithms a key can be generated for, default first.
KEY_ALGS: tuple[KeyAlg, ...] = ("ES256", "EdDSA")


def generate_private_key(alg: KeyAlg = "ES256") -> PrivateKey:
    """A new P-256 (``ES256``, the default of DESIGN §2) or Ed25519 (``EdDSA``) private key.

    Randomness comes from the operating system through ``cryptography``; there is no seed
    parameter on purpose, because a reproducible signing key is a leaked one.
    """
    generator = _GENERATORS.get(alg)
    if generator is None:
        raise ConfigurationError("unsupported key algorithm: use ES256 or EdDSA")
    return generator()
