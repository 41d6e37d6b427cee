"""Strict base64url and JSON, as DESIGN §6 requires of every parser.

Lenient decoders are an attack surface: two different strings that decode to the same bytes
break digest matching, and duplicate JSON members let two parsers see two different claims.
So base64url is accepted only in its canonical form (no padding, alphabet only, zero trailing
bits) and JSON only as UTF-8 objects without duplicate names, ``NaN``/``Infinity`` or deep
nesting. Each function takes the error class to raise, because the same defect is a different
reason code depending on which part of a presentation it is in.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from wire.errors import VerificationError

__all__ = [
    "B64U_TO_STRICT",
    "MAX_JSON_DEPTH",
    "b64u_decode",
    "b64u_decode_translated",
    "b64u_encode",
    "digest_b64u",
    "json_depth",
    "json_dumps",
    "loads_json",
    "loads_object",
    "parse_json",
]

MAX_JSON_DEPTH = 32
#: Copying an empty SHA-256 context is markedly cheaper than creating one (OpenSSL looks the
#: algorithm up on every ``hashlib.sha256()``), and the verifier hashes every disclosure.
_new_sha256 = hashlib.sha256().copy


def b64u_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    encoded = binascii.b2a_base64(data, newline=False).translate(_STD_TO_URLSAFE)
    return encoded.rstrip(b"=").decode("ascii")


#: Final characters allowed when the last group carries 2 or 3 characters: the bits that do not
#: belong to a decoded byte must be zero (RFC 4648 §3.5), which makes the encoding canonical.
_CANONICAL_LAST = {2: frozenset(b"AQgw"), 3: frozenset(b"AEIMQUYcgkosw048")}
#: base64url → standard alphabet in one ``bytes.translate``; the standard alphabet's own ``+``
#: and ``/`` and the padding ``=`` become ``*``, which strict ``a2b_base64`` refuses like any
#: other character outside the alphabet. So one C call rejects everything non-canonical except
#: the trailing bits, which :func:`b64u_decode_translated` checks on the last character.
B64U_TO_STRICT = bytes.maketrans(b"-_+/=", b"+/***")
_STD_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"", b"==", b"=")


def b64u_decode_translated(data: bytes) -> bytes:
    """Decode base64url that was already passed through :data:`B64U_TO_STRICT`.

    Raises ``ValueError`` (``binascii.Error``) unless the original text was canonical. The
    verifier translates a whole presentation at once and decodes its segments with this, so a
    segment costs one length check and one C call.
    """
    remainder = len(data) & 3
    if remainder:
        if remainder == 1 or data[-1] not in _CANONICAL_LAST[remainder]:
            raise ValueError("non-canonical base64url")
        data += _PADDING[remainder]
    return binascii.a2b_base64(data, strict_mode=True)


def b64u_decode(text: str, error: type[VerificationError]) -> bytes:
    """Decode canonical unpadded base64url or raise ``error``.

    Canonical means the string is exactly what :func:`b64u_encode` would produce for the
    decoded bytes: this rejects padding, whitespace, ``+``/``/`` and non-zero trailing bits.
    ``a2b_base64`` in strict mode refuses every character outside the (translated) alphabet,
    so no regular expression is needed on this hot path.
    """
    try:
        return b64u_decode_translated(text.encode("ascii").translate(B64U_TO_STRICT))
    except ValueError as exc:  # binascii.Error and UnicodeEncodeError are ValueErrors
        raise error() from exc


def digest_b64u(data: bytes) -> str:
    """Unpadded base64url of the SHA-256 of ``data``: a disclosure digest or ``sd_hash``."""
    hasher = _new_sha256()
    hasher.update(data)
    # 32 bytes are 43 characters, then "=" and the newline, both cut off by the slice.
    return binascii.b2a_base64(hasher.digest())[:43].translate(_STD_TO_URLSAFE).decode()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member name")
    return obj


def _no_constants(name: str) -> Any:
    raise ValueError("non-finite number")


def _finite_float(text: str) -> float:
    # ``1e999`` is valid JSON grammar but parses to ``inf``: as non-finite as ``Infinity``.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("non-finite number")
    return value


def _is_utf8_text(value: Any) -> bool:
    """False if any string (member names included) holds a lone surrogate from a ``\\uD800``
    escape: such text cannot be re-encoded as UTF-8 (RFC 8259 §8.2, I-JSON RFC 7493 §2.1)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite_float
)
#: The decoder's C scanner, called directly (skipping two Python wrapper layers on the hot path);
#: insignificant whitespace around the value is allowed, as RFC 8259 §2 says.
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_JSON_WS = " \t\n\r"


def parse_json(data: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse strict JSON from UTF-8 bytes; any defect raises ``ValueError``.

    The core of :func:`loads_json`, for callers that map the failure of several parses to one
    reason code with a single ``try``. The depth walk and the lone-surrogate check run only
    when a cheap scan of the text says they could fail, because this parser sits on the
    verifier's hot path (ten parses per presentation).
    """
    text = data.decode()  # strict UTF-8; UnicodeDecodeError is a ValueError
    try:
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:  # no value at 0: maybe insignificant whitespace first (RFC 8259 §2)
            value, end = _SCAN(text, len(text) - len(text.lstrip(_JSON_WS)))
    except (StopIteration, RecursionError) as exc:
        raise ValueError("not a JSON text") from exc
    if end != len(text) and text[end:].strip(_JSON_WS):
        raise ValueError("data after the JSON value")
    # Nesting deeper than ``max_depth`` needs more than ``2 * max_depth`` brackets.
    if (
        len(text) > 2 * max_depth + 1
        and text.count("{") + text.count("[") > max_depth
        and json_depth(value) > max_depth
    ):
        raise ValueError("nested too deeply")
    # ``"\\" in text`` is a memchr, much faster than searching for the 3-character escapes.
    if "\\" in text and ("\\ud" in text or "\\uD" in text) and not _is_utf8_text(value):
        raise ValueError("lone surrogate")
    return value


def loads_json(
    data: bytes, error: type[VerificationError], *, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Parse strict JSON from UTF-8 bytes or raise ``error``."""
    try:
        return parse_json(data, max_depth)
    except ValueError as exc:
        raise error() from exc


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
