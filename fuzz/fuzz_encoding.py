"""atheris target: strict base64url and JSON, compact JWS and disclosures (DESIGN §6 parsing).

Every mode compares the project's parser with the plain standard-library reference of
tests/fuzz/reference.py or checks its documented contract: a value, or the error class the
caller passed in — never another exception.

Modes: 0 ``loads_json``; 1 ``b64u_decode`` (the input as Latin-1 text); 2 ``parse_json`` with a
depth limit from the next byte; 3 ``parse_compact`` (JWS); 4 ``parse_disclosure``.

Run: ``fuzz/run encoding 600`` (fuzz/README.md).
"""

from __future__ import annotations

import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["wire"]):
    from fuzz_world import Refused, expect, split_mode

    from tests.fuzz.reference import reference_b64u, reference_json, same_json
    from wire.disclosures import RESERVED_NAMES, parse_disclosure
    from wire.encoding import b64u_decode, json_depth, loads_json, parse_json
    from wire.errors import InvalidDisclosure, StatusInvalid
    from wire.jws import parse_compact


def _loads(rest: bytes) -> None:
    accepted, expected = reference_json(rest)
    value = expect((StatusInvalid,), lambda: loads_json(rest, StatusInvalid))
    if accepted:
        assert same_json(value, expected), "strict JSON differs from the reference"
    else:
        assert isinstance(value, Refused), "strict JSON accepted what the reference refuses"


def _b64u(rest: bytes) -> None:
    text = rest.decode("latin-1")
    decoded = expect((InvalidDisclosure,), lambda: b64u_decode(text, InvalidDisclosure))
    expected = reference_b64u(text)
    if expected is None:
        assert isinstance(decoded, Refused), "base64url accepted a non-canonical text"
    else:
        assert decoded == expected, "base64url differs from the canonical reference"


def _parse_json(rest: bytes) -> None:
    max_depth = rest[0] % 40 if rest else 0
    try:
        value = parse_json(rest[1:], max_depth)
    except ValueError:  # documented: any defect is a ValueError
        return
    assert json_depth(value) <= max_depth


def _compact(rest: bytes) -> None:
    token = rest.decode("latin-1")
    jws = expect((StatusInvalid,), lambda: parse_compact(token, StatusInvalid))
    if not isinstance(jws, Refused):
        assert jws.signing_input == token.rsplit(".", 1)[0].encode()


def _disclosure(rest: bytes) -> None:
    encoded = rest.decode("latin-1")
    disclosure = expect((InvalidDisclosure,), lambda: parse_disclosure(encoded))
    if not isinstance(disclosure, Refused):
        assert disclosure.name is None or disclosure.name not in RESERVED_NAMES


_MODES = (_loads, _b64u, _parse_json, _compact, _disclosure)


def test_one_input(data: bytes) -> None:
    mode, rest = split_mode(data, len(_MODES))
    _MODES[mode](rest)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
