"""atheris target: Token Status List decoding and the status token (wire/statuslist.py).

Status tokens come over the network from anyone who can answer the fetch. Every failure must be
``status_invalid``, inflation must stop at ``max_bytes`` whatever the stream holds (checked on
the process's RSS by ``-rss_limit_mb`` in ``fuzz/run``), and an accepted token must satisfy
draft §8.3 and DESIGN §4.

Modes: 0 ``StatusList.from_json`` with the input as the compressed ``lst`` (``bits`` from the
next byte); 1 the input as a JSON ``status_list`` claim; 2 the input as a token; 3 the signed
form: header JSON, NUL, payload JSON, signed here with the trusted issuer key (the next byte
picks ES256 or EdDSA); 4 ``status_at`` with the input as a JSON index.

Run: ``fuzz/run statuslist 600`` (fuzz/README.md).
"""

from __future__ import annotations

import json
import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["wire"]):
    from fuzz_world import (
        ISSUER,
        ISSUERS,
        NOW,
        STATUS_URI,
        Refused,
        expect,
        kid_of,
        sign_raw,
        split_mode,
    )

    from wire.encoding import b64u_encode
    from wire.errors import StatusInvalid
    from wire.jwk import PublicKey
    from wire.statuslist import (
        TTL_MAX,
        TTL_MIN,
        StatusList,
        StatusListToken,
        status_at,
        verify_status_list_token,
    )

MAX_BYTES = 64 * 1024
_KEYS: dict[str, PublicKey] = {kid_of(key): key.public_key() for key in ISSUERS}
_LIST = StatusList.from_entries(64, 2, {3: 1, 5: 2})


def _check_list(claim: object) -> None:
    status_list = expect((StatusInvalid,), lambda: StatusList.from_json(claim, max_bytes=MAX_BYTES))
    if isinstance(status_list, Refused):
        return
    raw = status_list.to_bytes()
    assert 0 < len(raw) <= MAX_BYTES, "inflated beyond max_bytes"
    assert len(status_list) == len(raw) * 8 // status_list.bits


def _check_token(token: str) -> None:
    verified = expect(
        (StatusInvalid,),
        lambda: verify_status_list_token(
            token,
            resolve_key=_KEYS.get,
            expected_sub=STATUS_URI,
            now=NOW,
            algorithms=("ES256", "EdDSA"),
            max_bytes=MAX_BYTES,
            issuer=ISSUER,
        ),
    )
    if isinstance(verified, Refused):
        return
    assert verified.sub == STATUS_URI
    assert verified.exp > NOW
    assert TTL_MIN <= verified.ttl <= TTL_MAX
    for idx in (0, 3, len(verified.status_list) - 1):
        assert 0 <= status_at(verified, idx) < 1 << verified.status_list.bits


def _signed(rest: bytes) -> str:
    key = ISSUERS[rest[0] % 2] if rest else ISSUERS[0]
    header, _, payload = rest[1:].partition(b"\x00")
    return sign_raw(header, payload, key)


def test_one_input(data: bytes) -> None:
    mode, rest = split_mode(data, 5)
    if mode == 0:
        bits = (1, 2, 4, 8, 3, 0)[rest[0] % 6] if rest else 1
        _check_list({"bits": bits, "lst": b64u_encode(rest[1:])})
    elif mode == 1:
        try:
            claim = json.loads(rest)
        except (ValueError, RecursionError):
            return
        _check_list(claim)
    elif mode == 2:
        _check_token(rest.decode("latin-1"))
    elif mode == 3:
        _check_token(_signed(rest))
    else:
        try:
            idx = json.loads(rest)
        except (ValueError, RecursionError):
            return
        token = StatusListToken(_LIST, STATUS_URI, NOW, NOW + 60, 60)
        value = expect((StatusInvalid,), lambda: status_at(token, idx))
        if not isinstance(value, Refused):
            assert type(idx) is int
            assert value == {3: 1, 5: 2}.get(idx, 0)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
