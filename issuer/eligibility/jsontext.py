"""Strict JSON decoding shared by rule files and facts files.

Python's :func:`json.loads` lets a repeated key silently overwrite the first one and accepts
``NaN``/``Infinity``. Either would let a file say something other than what a reviewer reads, so
both are refused here.
"""

from __future__ import annotations

import json

__all__ = ["DuplicateKeyError", "loads_strict"]


class DuplicateKeyError(ValueError):
    """An object repeats a key; ``key`` is the repeated name."""

    def __init__(self, key: str) -> None:
        super().__init__("duplicate key")
        self.key = key


def loads_strict(text: str) -> object:
    """Decode ``text``; raises :class:`json.JSONDecodeError` or :class:`DuplicateKeyError`."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise json.JSONDecodeError("non-finite number is not JSON", name, 0)
