"""Disclosures: creation, strict parsing and digests (SD-JWT, RFC 9901 §4.2).

A disclosure is ``base64url(JSON array)``: ``[salt, name, value]`` for an object property,
``[salt, value]`` for an array element. Its digest is computed over the *encoded* ASCII string
(§4.2.3), never over decoded JSON, so a re-encoding of the same claim has a different digest.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any, NamedTuple

from wire.encoding import b64u_decode, b64u_encode, digest_b64u, json_dumps, loads_json
from wire.errors import InvalidDisclosure

__all__ = [
    "RESERVED_NAMES",
    "Disclosure",
    "SaltSource",
    "decoy_digest",
    "digest",
    "disclosed_claim",
    "make_disclosure",
    "parse_disclosure",
    "random_salt",
]

#: Names a disclosure may never carry: the SD-JWT structural names (RFC 9901 §4.2.1) and the
#: claims that stay visible in a permit (DESIGN §2; the SD-JWT VC draft §3.2.2.2 would let
#: ``iat`` be disclosable, but a permit verifier needs it visible, so it is refused here too).
RESERVED_NAMES: frozenset[str] = frozenset(
    {"_sd", "...", "_sd_alg", "iss", "iat", "nbf", "exp", "vct", "vct#integrity", "cnf", "status"}
)

SaltSource = Callable[[], bytes]


def random_salt() -> bytes:
    """128 bits from the OS CSPRNG, as RFC 9901 §9.3 recommends."""
    return secrets.token_bytes(16)


def digest(encoded: str) -> str:
    """SHA-256 digest of an encoded disclosure (RFC 9901 §4.2.3)."""
    return digest_b64u(encoded.encode("ascii"))


def decoy_digest(salt_source: SaltSource = random_salt) -> str:
    """A digest that matches no disclosure (RFC 9901 §4.2.5): the hash of random bytes."""
    return b64u_encode(hashlib.sha256(salt_source()).digest())


class Disclosure(NamedTuple):
    """A decoded disclosure; ``name`` is None for an array element.

    A NamedTuple rather than a frozen dataclass: it is built for every disclosure of every
    verified presentation, and tuple construction is several times cheaper. Build it with
    :meth:`of`, which computes the digest once.
    """

    encoded: str
    salt: str
    name: str | None
    value: Any
    digest: str

    @classmethod
    def of(cls, encoded: str, salt: str, name: str | None, value: Any) -> Disclosure:
        return cls(encoded, salt, name, value, digest(encoded))


def make_disclosure(
    name: str | None, value: Any, salt_source: SaltSource = random_salt
) -> Disclosure:
    """Create a disclosure for an object property (``name``) or an array element (None)."""
    if name is not None and name in ("_sd", "..."):
        raise ValueError("reserved name cannot be disclosed")
    salt = b64u_encode(salt_source())
    array: list[Any] = [salt, value] if name is None else [salt, name, value]
    return Disclosure.of(b64u_encode(json_dumps(array)), salt, name, value)


def disclosed_claim(array: Any) -> tuple[str | None, Any]:
    """``(name, value)`` of a decoded disclosure array (``name`` None for an array element).

    Raises :class:`InvalidDisclosure` unless ``array`` is a list of 2 or 3 elements whose salt
    (and name) are strings and whose name is not reserved. The verifier calls this directly on
    its hot path; :func:`parse_disclosure` wraps it.
    """
    if not isinstance(array, list) or not isinstance(array[0] if array else None, str):
        raise InvalidDisclosure()
    size = len(array)
    if size == 3:
        name = array[1]
        if not isinstance(name, str) or name in RESERVED_NAMES:
            raise InvalidDisclosure()
        return name, array[2]
    if size != 2:
        raise InvalidDisclosure()
    return None, array[1]


def parse_disclosure(encoded: str) -> Disclosure:
    """Decode one disclosure strictly, raising :class:`InvalidDisclosure` on any defect.

    Well-formed means canonical base64url of a JSON array of 2 or 3 elements whose salt (and
    name) are strings and whose name is not reserved.
    """
    array = loads_json(b64u_decode(encoded, InvalidDisclosure), InvalidDisclosure)
    name, value = disclosed_claim(array)
    return Disclosure.of(encoded, array[0], name, value)
