"""Strict base64url and JSON, as DESIGN §6 requires of every parser.

Lenient decoders are an attack surface: two different strings that decode to the same bytes
break digest matching, and duplicate JSON members let two parsers see two different claims.
So base64url is accepted only in its canonical form (no padding, alphabet only, zero trailing
bits) and JSON only as UTF-8 objects without duplicate names, ``NaN``/``Infinity`` or deep
nesting. Each function takes the error class to raise, because the same defect is a different
reason code depending on which part of a presentation it is in.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from wire.errors import VerificationError

__all__ = [
    "MAX_JSON_DEPTH",
    "b64u_decode",
    "b64u_encode",
    "json_depth",
    "json_dumps",
    "loads_json",
    "loads_object",
]

MAX_JSON_DEPTH = 32
_B64U = re.compile(r"[A-Za-z0-9_-]*")


def b64u_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str, error: type[VerificationError]) -> bytes:
    """Decode canonical unpadded base64url or raise ``error``.

    Canonical means the string is exactly what :func:`b64u_encode` would produce for the
    decoded bytes: this rejects padding, whitespace, ``+``/``/`` and non-zero trailing bits.
    """
    if len(text) % 4 == 1 or _B64U.fullmatch(text) is None:
        raise error()
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - excluded by the regex
        raise error() from exc
    if b64u_encode(data) != text:
        raise error()
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member name")
    return obj


def _no_constants(name: str) -> Any:
    raise ValueError("non-finite number")


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, ``[]`` is 1), computed without recursion."""
    depth = 0
    level: list[Any] = [value]
    while True:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            return depth
        depth += 1
        level = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]


def loads_json(
    data: bytes, error: type[VerificationError], *, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Parse strict JSON from UTF-8 bytes or raise ``error``."""
    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise error() from exc
    if json_depth(value) > max_depth:
        raise error()
    return value


def loads_object(
    data: bytes, error: type[VerificationError], *, max_depth: int = MAX_JSON_DEPTH
) -> dict[str, Any]:
    """Parse strict JSON that must be an object."""
    value = loads_json(data, error, max_depth=max_depth)
    if not isinstance(value, dict):
        raise error()
    return value


def json_dumps(value: Mapping[str, Any] | list[Any]) -> bytes:
    """Compact UTF-8 JSON, the serialisation used for everything this project signs."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )
