"""An immutable signing key ring (CONVENTIONS §7, after pyca ``MultiFernet``).

Sign with the active key, verify with any key still in the ring, ``rotate()`` to a new active
key and ``retire()`` an old one once nothing it signed needs to verify any more. Every ``kid`` is
the RFC 7638 thumbprint of the public key (DESIGN §2), so a ``kid`` can never name two keys.
Operations return a new ring; a ring that was handed to a running service never changes under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keys.generate import KeyAlg, generate_private_key
from keys.store import KeyStore, RingManifest
from wire.errors import ConfigurationError
from wire.jwk import PrivateKey, PublicKey, alg_for_key, public_jwk, thumbprint
from wire.jws import sign_compact

__all__ = ["KeyRing", "RingKey"]

#: Header members the ring sets itself; a caller supplying them is a programming error.
_RING_HEADER = frozenset({"alg", "kid", "jwk", "jku", "x5u", "x5c"})


@dataclass(frozen=True, slots=True)
class RingKey:
    """One private key of a ring with its ``kid`` (RFC 7638 thumbprint) and public half."""

    kid: str
    private_key: PrivateKey = field(repr=False)
    public_key: PublicKey = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_key", self.private_key.public_key())
        if thumbprint(public_jwk(self.public_key)) != self.kid:
            raise ConfigurationError("kid is not the key's RFC 7638 thumbprint")

    @classmethod
    def of(cls, key: PrivateKey) -> RingKey:
        return cls(thumbprint(public_jwk(key)), key)

    @property
    def alg(self) -> str:
        return alg_for_key(self.private_key)

    def public_jwk(self) -> dict[str, str]:
        """Public JWK with ``kid``, ``alg`` and ``use`` = ``sig``; never any private member."""
        return {**public_jwk(self.public_key), "kid": self.kid, "alg": self.alg, "use": "sig"}


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Signing keys, active first. Immutable: every change returns a new ring."""

    entries: tuple[RingKey, ...]

    def __post_init__(self) -> None:
        kids = [entry.kid for entry in self.entries]
        if not kids or len(set(kids)) != len(kids):
            raise ConfigurationError("a key ring needs at least one key and unique kids")

    # --- constructors ---------------------------------------------------------------------

    @classmethod
    def from_keys(cls, keys: Iterable[PrivateKey]) -> KeyRing:
        """A ring of ``keys``; the first becomes the active one."""
        return cls(tuple(RingKey.of(key) for key in keys))

    @classmethod
    def generate(cls, alg: KeyAlg = "ES256") -> KeyRing:
        """A ring holding one fresh key."""
        return cls.from_keys([generate_private_key(alg)])

    @classmethod
    def load(cls, store: KeyStore) -> KeyRing:
        """Read the ring that :meth:`save` wrote to ``store``."""
        manifest = store.load_manifest()
        if manifest is None:
            raise ConfigurationError("no key ring found; create one with 'permit keys generate'")
        return cls(tuple(RingKey(kid, store.load(kid)) for kid in manifest.kids))

    def save(self, store: KeyStore) -> None:
        """Persist the ring: keys first, then the manifest, then drop retired key files.

        The order keeps the store loadable after a crash at any step: the manifest only ever
        names keys that are already stored, and leftovers are ignored until removed.
        """
        for entry in self.entries:
            store.save(entry.kid, entry.private_key)
        store.save_manifest(RingManifest(self.kids))
        for kid in set(store.list_kids()) - set(self.kids):
            store.delete(kid)

    # --- use ------------------------------------------------------------------------------

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(entry.kid for entry in self.entries)

    @property
    def active_kid(self) -> str:
        return self.entries[0].kid

    @property
    def active_key(self) -> PrivateKey:
        return self.entries[0].private_key

    @property
    def active_alg(self) -> str:
        return self.entries[0].alg

    def sign(self, header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
        """Compact JWS signed by the active key; the ring sets ``alg`` and ``kid`` (DESIGN §2)."""
        if _RING_HEADER & header.keys():
            raise ValueError("header must not set alg, kid or key material; the ring does")
        return sign_compact({**header, "kid": self.active_kid}, payload, self.active_key)

    def public_key(self, kid: str) -> PublicKey | None:
        """The public key for ``kid`` if it is still in the ring (active or not yet retired)."""
        for entry in self.entries:
            if entry.kid == kid:
                return entry.public_key
        return None

    def rotate(self, new_key: PrivateKey) -> KeyRing:
        """A ring where ``new_key`` is active and every current key still verifies."""
        entry = RingKey.of(new_key)
        if entry.kid in self.kids:
            raise ConfigurationError("this key is already in the ring")
        return KeyRing((entry, *self.entries))

    def retire(self, kid: str) -> KeyRing:
        """A ring without ``kid``; the active key cannot be retired (rotate first)."""
        if kid == self.active_kid:
            raise ConfigurationError("the active key cannot be retired; rotate first")
        if kid not in self.kids:
            raise ConfigurationError("no key with this kid in the ring")
        return KeyRing(tuple(entry for entry in self.entries if entry.kid != kid))

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Public JWKS of every key in the ring, active first (RFC 7517 §5)."""
        return {"keys": [entry.public_jwk() for entry in self.entries]}
