"""Token Status List (draft-ietf-oauth-status-list-20): the bit array, its encoding and its JWT.

A permit carries ``status.status_list{idx, uri}``; the issuer publishes one signed Status List
Token per ``uri`` and flips the entry at ``idx`` to revoke or suspend (DESIGN §4). This module is
pure: bytes and JSON in, bytes and JSON out, no I/O; fetching and caching live in the services.

Why it looks the way it does:

* Entries are packed LSB-first, ``bits`` per entry, into a ``bytearray`` (draft §4.1 step 3), so
  a 10,000,000-entry list is 2.5 MB and is built by touching only the non-zero entries.
* ``lst`` is DEFLATE in a ZLIB container at the highest level (draft §4.1, §4.2). Decoding is
  hostile-input parsing: canonical base64url only, and inflation is bounded with ``max_length``
  so a zip bomb is refused after at most ``max_bytes + 1`` bytes, never inflated in full.
* The token (draft §5.1, §8.3) is checked in a fixed order: size, parse, ``typ``, ``alg``
  allow-list, ``kid`` -> trusted key of the credential's issuer, signature, then claims. Every
  failure is :class:`~wire.errors.StatusInvalid` (DESIGN §4); nothing from the input is echoed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeGuard

from wire.encoding import b64u_decode, b64u_encode
from wire.errors import StatusInvalid
from wire.jwk import PrivateKey, PublicKey
from wire.jws import ALGORITHMS, parse_compact, sign_compact, verify_signature

__all__ = [
    "ALLOWED_BITS",
    "DEFAULT_MAX_TOKEN_CHARS",
    "INVALID",
    "STATUS_LIST_TYP",
    "SUSPENDED",
    "TTL_MAX",
    "TTL_MIN",
    "VALID",
    "StatusList",
    "StatusListToken",
    "StatusValue",
    "build_status_list_token",
    "status_at",
    "verify_status_list_token",
]


class StatusValue(IntEnum):
    """Status Types of draft §7.1 that this project uses (``0x03`` and up are unused)."""

    VALID = 0
    INVALID = 1
    SUSPENDED = 2


VALID = StatusValue.VALID
INVALID = StatusValue.INVALID
SUSPENDED = StatusValue.SUSPENDED

#: ``bits`` values allowed by draft §4.1.
ALLOWED_BITS: frozenset[int] = frozenset({1, 2, 4, 8})
#: ``typ`` header of a Status List Token (draft §5.1).
STATUS_LIST_TYP = "statuslist+jwt"
#: Verifier clamp for ``ttl`` in seconds (DESIGN §4); an absent ``ttl`` counts as ``TTL_MIN``.
TTL_MIN = 60
TTL_MAX = 86_400
#: Default upper bound on a token's length: an incompressible 10,000,000-entry 2-bit list
#: (2.5 MB raw, about 3.4 M base64url characters) still fits.
DEFAULT_MAX_TOKEN_CHARS = 4 * 1024 * 1024
_ZLIB_LEVEL = 9


def _is_int(value: object) -> TypeGuard[int]:
    """JSON integer check: ``bool`` is an ``int`` subclass in Python but not a number here."""
    return isinstance(value, int) and not isinstance(value, bool)


class StatusList:
    """A fixed-size array of ``bits``-wide statuses (draft §4.1), mutable by the issuer only.

    ``get``/``set`` raise ``IndexError``/``ValueError`` on misuse: they are the issuer's API and a
    bad index there is a programming error. Untrusted indices go through :func:`status_at`.
    """

    __slots__ = ("_bits", "_buf", "_size")

    def __init__(self, size: int, bits: int) -> None:
        if not _is_int(bits) or bits not in ALLOWED_BITS:
            raise ValueError("bits must be 1, 2, 4 or 8")
        if not _is_int(size) or size < 1:
            raise ValueError("size must be a positive integer")
        self._bits = bits
        self._size = size
        self._buf = bytearray((size * bits + 7) // 8)

    @classmethod
    def from_entries(
        cls, size: int, bits: int, entries: Mapping[int, int] | Iterable[tuple[int, int]]
    ) -> StatusList:
        """Build a list of ``size`` zero entries and set the given ``{idx: value}`` pairs.

        The zeroed buffer is allocated in one go, so the cost is proportional to the number of
        non-zero entries, not to ``size`` (the issuer builds 10,000,000-entry lists).
        """
        status_list = cls(size, bits)
        items = entries.items() if isinstance(entries, Mapping) else entries
        for idx, value in items:
            status_list.set(idx, value)
        return status_list

    @classmethod
    def from_bytes(cls, raw: bytes, bits: int) -> StatusList:
        """Wrap uncompressed list bytes; the size is every entry the bytes hold (draft §4.1)."""
        if bits not in ALLOWED_BITS:
            raise ValueError("bits must be 1, 2, 4 or 8")
        status_list = cls(len(raw) * 8 // bits, bits)  # ValueError if raw is empty
        status_list._buf[:] = raw
        return status_list

    @classmethod
    def from_json(cls, obj: object, *, max_bytes: int) -> StatusList:
        """Decode a ``status_list`` claim ``{"bits", "lst"}`` (draft §4.2) strictly.

        Raises :class:`StatusInvalid` for a non-object, ``bits`` not in {1, 2, 4, 8} (``true``
        included), ``lst`` not canonical base64url, a stream that is not ZLIB, is truncated or is
        followed by trailing bytes, an empty list, or more than ``max_bytes`` of inflated data.
        Inflation stops at ``max_bytes + 1`` bytes, so memory stays bounded whatever the input.
        """
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if not isinstance(obj, dict):
            raise StatusInvalid()
        bits, lst = obj.get("bits"), obj.get("lst")
        if not _is_int(bits) or bits not in ALLOWED_BITS or not isinstance(lst, str):
            raise StatusInvalid()
        compressed = b64u_decode(lst, StatusInvalid)
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(compressed, max_bytes + 1)
        except zlib.error as exc:
            raise StatusInvalid() from exc
        if len(raw) > max_bytes or not inflater.eof or inflater.unused_data or not raw:
            raise StatusInvalid()
        return cls.from_bytes(raw, bits)

    @property
    def bits(self) -> int:
        return self._bits

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return (self._bits, self._size, self._buf) == (other._bits, other._size, other._buf)

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable like bytearray

    def __repr__(self) -> str:
        return f"StatusList(size={self._size}, bits={self._bits})"

    def _locate(self, idx: int) -> tuple[int, int]:
        if not _is_int(idx):
            raise TypeError("index must be an int")
        if not 0 <= idx < self._size:
            raise IndexError("status list index out of range")
        pos = idx * self._bits
        return pos >> 3, pos & 7

    def get(self, idx: int) -> int:
        """Status at ``idx``: ``(byte >> ((idx % (8 / bits)) * bits)) & mask`` (draft §4.1)."""
        byte, shift = self._locate(idx)
        return (self._buf[byte] >> shift) & ((1 << self._bits) - 1)

    def set(self, idx: int, value: int) -> None:
        """Set the status at ``idx`` to ``value`` (``0 <= value < 2**bits``)."""
        mask = (1 << self._bits) - 1
        if not _is_int(value) or not 0 <= value <= mask:
            raise ValueError("status value does not fit in bits")
        byte, shift = self._locate(idx)
        self._buf[byte] = (self._buf[byte] & ~(mask << shift)) | (value << shift)

    def to_bytes(self) -> bytes:
        """The uncompressed byte array, unused high bits of the last byte zero (draft §4.1)."""
        return bytes(self._buf)

    def to_json(self) -> dict[str, Any]:
        """``{"bits": b, "lst": base64url(zlib(bytes, level 9))}`` (draft §4.2)."""
        return {"bits": self._bits, "lst": b64u_encode(zlib.compress(self._buf, _ZLIB_LEVEL))}


@dataclass(frozen=True, slots=True)
class StatusListToken:
    """A verified Status List Token; ``ttl`` is already clamped to ``TTL_MIN..TTL_MAX``."""

    status_list: StatusList
    sub: str
    iat: int
    exp: int
    ttl: int


def build_status_list_token(
    *,
    status_list: StatusList,
    sub: str,
    iat: int,
    exp: int,
    ttl: int,
    key: PrivateKey,
    kid: str,
    iss: str | None = None,
) -> str:
    """Sign ``status_list`` as a Status List Token in JWT form (draft §5.1)."""
    if not all(_is_int(value) for value in (iat, exp, ttl)):
        raise TypeError("iat, exp and ttl are integer unix seconds")
    payload: dict[str, Any] = {"sub": sub, "iat": iat, "exp": exp, "ttl": ttl}
    if iss is not None:
        payload["iss"] = iss
    payload["status_list"] = status_list.to_json()
    return sign_compact({"typ": STATUS_LIST_TYP, "kid": kid}, payload, key)


def verify_status_list_token(
    token: str,
    *,
    resolve_key: Callable[[str], PublicKey | None],
    expected_sub: str,
    now: int,
    algorithms: Iterable[str],
    max_bytes: int,
    issuer: str | None = None,
    max_size_chars: int = DEFAULT_MAX_TOKEN_CHARS,
) -> StatusListToken:
    """Verify a Status List Token (draft §8.3, DESIGN §4) or raise :class:`StatusInvalid`.

    ``resolve_key`` maps a ``kid`` to a trusted key of the *credential's* issuer (None when
    unknown), so a token signed by anyone else fails. Checks, in order: length
    ``<= max_size_chars``; strict compact JWS; ``typ == statuslist+jwt``; ``alg`` in
    ``algorithms`` (and in :data:`wire.jws.ALGORITHMS`); no ``crit``; a string ``kid`` that
    resolves; the signature; then the claims: ``sub == expected_sub``; ``iat`` and ``exp``
    present as integers (``exp`` is required here although the draft only recommends it: a
    token without one could be replayed forever); ``exp > now``; ``nbf``, if present, an
    integer ``<= now``; ``iss``, if present and ``issuer`` is given, equal to it; and a valid
    ``status_list`` of at most ``max_bytes`` inflated bytes. ``ttl`` must be an integer if
    present and is clamped to 60 s .. 86,400 s; an absent ``ttl`` becomes 60 s, the most
    conservative cache lifetime. A future ``iat`` is not rejected (issuer clock skew).
    """
    if not isinstance(token, str) or len(token) > max_size_chars:
        raise StatusInvalid()
    jws = parse_compact(token, StatusInvalid)
    header, claims = jws.header, jws.payload
    if header.get("typ") != STATUS_LIST_TYP:
        raise StatusInvalid()
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS or alg not in set(algorithms):
        raise StatusInvalid()
    if "crit" in header:
        raise StatusInvalid()
    kid = header.get("kid")
    key = resolve_key(kid) if isinstance(kid, str) and kid else None
    if key is None or not verify_signature(jws, key, alg):
        raise StatusInvalid()

    sub, iat, exp = claims.get("sub"), claims.get("iat"), claims.get("exp")
    ttl = claims.get("ttl", TTL_MIN)
    if not isinstance(sub, str) or sub != expected_sub:
        raise StatusInvalid()
    if not _is_int(iat) or not _is_int(exp) or exp <= now:
        raise StatusInvalid()
    if "nbf" in claims and (not _is_int(claims["nbf"]) or claims["nbf"] > now):
        raise StatusInvalid()
    if "iss" in claims and (
        not isinstance(claims["iss"], str) or (issuer is not None and claims["iss"] != issuer)
    ):
        raise StatusInvalid()
    if not _is_int(ttl):
        raise StatusInvalid()
    status_list = StatusList.from_json(claims.get("status_list"), max_bytes=max_bytes)
    return StatusListToken(status_list, sub, iat, exp, min(max(ttl, TTL_MIN), TTL_MAX))


def status_at(source: StatusListToken | StatusList, idx: object) -> int:
    """Status of entry ``idx`` for an untrusted ``idx`` from a credential (draft §6.2, §8.3).

    Raises :class:`StatusInvalid` unless ``idx`` is a non-negative integer (not ``bool``) inside
    the list (DESIGN §4).
    """
    status_list = source.status_list if isinstance(source, StatusListToken) else source
    if not _is_int(idx) or not 0 <= idx < len(status_list):
        raise StatusInvalid()
    return status_list.get(idx)
