"""Base45 (RFC 9285): bytes as text in the QR alphanumeric character set.

A QR code stores alphanumeric text at 5.5 bits per character but arbitrary bytes at 8 bits, and
Base45 spends 3 characters on 2 bytes, so binary data costs 8.25 bits per byte instead of the
10.67 bits of base64url in byte mode. It is part of the ``RP1`` QR transport format
(docs/qr-transport.md), which is why it is implemented here rather than taken from a package.

Decoding is strict, so exactly one text decodes to each byte string: characters outside the
alphabet, a 3-character group above 65535, a final 2-character group above 255 and a single
leftover character are all rejected.
"""

from __future__ import annotations

from wire.errors import VerificationError

__all__ = ["B45_ALPHABET", "b45decode", "b45encode"]

#: RFC 9285 §4: the 45 characters of QR alphanumeric mode, in value order.
B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {char: value for value, char in enumerate(B45_ALPHABET)}


def b45encode(data: bytes) -> str:
    """RFC 9285 §4.1: each 2 bytes become 3 characters, a final odd byte becomes 2."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] << 8 | data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += (B45_ALPHABET[c], B45_ALPHABET[d], B45_ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (B45_ALPHABET[c], B45_ALPHABET[d])
    return "".join(out)


def b45decode(text: str, error: type[VerificationError]) -> bytes:
    """RFC 9285 §4.2, strictly: raise ``error`` for any text :func:`b45encode` cannot produce."""
    if len(text) % 3 == 1:
        raise error()
    try:
        values = [_VALUE[char] for char in text]
    except KeyError:
        raise error() from None
    out = bytearray()
    whole = len(values) - len(values) % 3
    for i in range(0, whole, 3):
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 45 * 45
        if n > 0xFFFF:
            raise error()
        out += n.to_bytes(2, "big")
    if whole < len(values):
        n = values[whole] + values[whole + 1] * 45
        if n > 0xFF:
            raise error()
        out.append(n)
    return bytes(out)
