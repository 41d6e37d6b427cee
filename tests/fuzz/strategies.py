"""Shared hypothesis settings and input strategies for the fuzz properties (issue 7 §3).

Why a settings object of its own: the suite must stay fast and reproducible, so every property
here runs a modest, *derandomized* set of examples (the same inputs on every run and in CI, no
example database to drift between machines). A deeper, randomised run is the same tests with
``PERMIT_FUZZ_SCALE=20`` (or any factor) in the environment; the coverage-guided long runs are
the atheris targets under ``fuzz/`` (fuzz/README.md).

The strategies lean towards inputs that get *past* the first check: valid JSON with one hostile
edit, canonical base64url of near-valid JSON, dotted and tilde-separated segments. Uniformly
random bytes mostly exercise the first ``if`` of a parser.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from wire.encoding import b64u_encode
from wire.errors import PermitError

__all__ = [
    "B64U_ALPHABET",
    "DELETE",
    "JSON_SCALARS",
    "JSON_VALUES",
    "attempt",
    "b64u_segments",
    "edited_bytes",
    "fuzz_settings",
    "hostile_json",
    "hostile_text",
    "mutated",
    "value_at",
    "value_paths",
    "with_value",
]


def _scale() -> int:
    try:
        return max(1, int(os.environ.get("PERMIT_FUZZ_SCALE", "1")))
    except ValueError:
        return 1


def fuzz_settings(max_examples: int) -> settings:
    """Settings for one fuzz property: ``max_examples`` in CI, derandomized, no database.

    With ``PERMIT_FUZZ_SCALE`` > 1 the budget is multiplied and the seed is random, which is
    how a developer digs deeper locally without touching the code.
    """
    scale = _scale()
    return settings(
        max_examples=max_examples * scale,
        deadline=None,
        derandomize=scale == 1,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


T = TypeVar("T")


def attempt(call: Callable[[], T]) -> T | PermitError:
    """The value ``call`` returns, or the project error it raises; anything else propagates
    and fails the property, which is the point: no parser may raise outside the hierarchy."""
    try:
        return call()
    except PermitError as exc:
        return exc


#: Characters of hostile text: any code point, and often the ones parsers trip over — lone
#: surrogates (a JSON "\ud800" escape or an undecodable byte gives a ``str`` that cannot be
#: encoded as UTF-8), NUL, the line separators and a BOM.
_HOSTILE_CHARS = st.characters() | st.sampled_from(
    ["\ud800", "\udfff", "\udc80", "\x00", "\u2028", "\ufeff", "\r", "\n", "~", ".", "["]
)


def hostile_text(max_size: int) -> st.SearchStrategy[str]:
    """Text as a scanner, a form field or a JSON string can deliver it, surrogates included."""
    return st.text(_HOSTILE_CHARS, max_size=max_size)


B64U_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)

#: Fragments that turn valid JSON into each kind of input the strict parser must refuse (or,
#: for whitespace and numbers, accept): non-finite numbers, lone surrogates, duplicate-prone
#: members, stray structure, a BOM, NUL, digits beyond Python's int-string limit.
_JSON_TOKENS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1E400",
    '"\\ud800"',
    '"\\udfff\\ud800"',
    "\\u0000",
    '"a":1,',
    ',"a":1',
    '{"a":1,"a":2}',
    "[",
    "]",
    "{",
    "}",
    '"',
    ",",
    ":",
    "\ufeff",
    " ",
    "\t\r\n",
    "\x00",
    "\\",
    "9" * 4400,
    "0.0e-99999",
    "true",
    "null",
)


@st.composite
def hostile_json(draw: st.DrawFn) -> bytes:
    """Bytes that are (nearly) JSON: a valid document, maybe edited, nested or re-encoded."""
    value = draw(JSON_VALUES)
    text = json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.none() | st.integers(0, 2)),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
    )
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "cut", "nest"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(_JSON_TOKENS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        elif kind == "cut":
            text = text[:at]
        else:
            depth = draw(st.sampled_from([1, 31, 32, 33, 500, 1100]))
            opener = draw(st.sampled_from(["[", '{"k":']))
            closer = "]" if opener == "[" else "}"
            text = opener * depth + text + closer * depth
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"]))
    return text.encode(encoding, "surrogatepass" if encoding != "latin-1" else "replace")


@st.composite
def b64u_segments(draw: st.DrawFn, parts: int) -> str:
    """``parts`` base64url segments joined by ``.``, each of near-JSON or random bytes."""
    content = hostile_json() | st.binary(max_size=70)
    return ".".join(b64u_encode(draw(content)) for _ in range(parts))


_EDIT_BYTES = b'{}[]",:\\ 0129-.eEtfnu\x00\xff\xc3'


@st.composite
def edited_bytes(draw: st.DrawFn, data: bytes, max_edits: int = 3) -> bytes:
    """``data`` with 1..``max_edits`` single-byte edits (insert, replace, delete)."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, max_edits))):
        at = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["insert", "replace", "delete"]))
        byte = draw(st.sampled_from(_EDIT_BYTES) | st.integers(0, 255))
        if kind == "insert":
            out.insert(at, byte)
        elif at < len(out):
            if kind == "replace":
                out[at] = byte
            else:
                del out[at]
    return bytes(out)


Path = tuple[str | int, ...]


def value_paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every path into a JSON value (the empty path is the value itself)."""
    paths: list[Path] = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += value_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += value_paths(child, (*prefix, index))
    return paths


_DELETE = object()
#: Passed to :func:`with_value` to remove the member or element at the path.
DELETE: Any = _DELETE


def value_at(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def with_value(value: Any, path: Path, new: Any) -> Any:
    """A copy of ``value`` with the node at ``path`` replaced by ``new`` (or removed); the last
    step may name a member an object does not have yet."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    child = with_value(copy[head], rest, new) if rest else new
    if child is not _DELETE:
        copy[head] = child
    elif isinstance(copy, dict):
        copy.pop(head, None)
    else:
        del copy[head]
    return copy


@st.composite
def mutated(
    draw: st.DrawFn,
    base: Any,
    *,
    names: tuple[str, ...] = (),
    values: st.SearchStrategy[Any] = JSON_VALUES,
    min_edits: int = 0,
    max_edits: int = 3,
) -> Any:
    """``base`` with up to ``max_edits`` edits anywhere in it: a node replaced by a drawn
    value, removed, or an object given a new member (one of ``names`` or any text)."""
    doc = base
    for _ in range(draw(st.integers(min_edits, max_edits))):
        path = draw(st.sampled_from(value_paths(doc)))
        node = value_at(doc, path)
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "add" and isinstance(node, dict):
            name = draw(
                st.sampled_from(names) | st.text(max_size=6) if names else st.text(max_size=6)
            )
            doc = with_value(doc, path, {**node, name: draw(values)})
        elif action == "delete" and path:
            doc = with_value(doc, path, DELETE)
        else:
            doc = with_value(doc, path, draw(values))
    return doc
