"""Fuzzing the Token Status List decoder and token check (wire/statuslist.py).

The verifier fetches these tokens over the network, so every byte of them is hostile: any
``lst``, any token, any index from a credential must give a status or ``status_invalid``, memory
must stay bounded by ``max_bytes`` whatever the stream inflates to, and a token is accepted only
when the draft §8.3 / DESIGN §4 rules, written out here as a reference, accept it.
"""

from __future__ import annotations

import functools
import tracemalloc
import zlib
from typing import Any, TypeGuard

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import JSON_VALUES, attempt, fuzz_settings, hostile_text, mutated
from tests.wire.conftest import ISSUER_EDDSA, ISSUER_ES256, jws, kid_of
from wire.encoding import b64u_decode, b64u_encode
from wire.errors import StatusInvalid
from wire.jws import parse_compact
from wire.statuslist import (
    TTL_MAX,
    TTL_MIN,
    StatusList,
    StatusListToken,
    status_at,
    verify_status_list_token,
)

MB = 1024 * 1024
NOW = 1_780_000_000
SUB = "https://permits.sh.example/status/1"
ISS = "https://permits.sh.example/issuer"
_KEYS = {kid_of(key): key.public_key() for key in (ISSUER_ES256, ISSUER_EDDSA)}
_ALGS = ("ES256", "EdDSA")


def _reference_inflate(claim: Any, max_bytes: int) -> tuple[int, bytes] | None:
    """draft §4.2 decoding, done plainly (only for small inputs: it inflates in full)."""
    if not isinstance(claim, dict):
        return None
    bits, lst = claim.get("bits"), claim.get("lst")
    if type(bits) is not int or bits not in (1, 2, 4, 8) or not isinstance(lst, str):
        return None
    try:
        compressed = b64u_decode(lst, StatusInvalid)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed) + inflater.flush()
    except (StatusInvalid, zlib.error):
        return None
    if not raw or len(raw) > max_bytes or not inflater.eof or inflater.unused_data:
        return None
    return bits, raw


@st.composite
def _lst_claims(draw: st.DrawFn) -> Any:
    raw = draw(st.binary(max_size=300))
    compressed = zlib.compress(raw, draw(st.integers(0, 9)))
    edit = draw(st.sampled_from(["none", "none", "truncate", "append", "flip", "raw-deflate"]))
    if edit == "truncate":
        compressed = compressed[: draw(st.integers(0, len(compressed)))]
    elif edit == "append":
        compressed += draw(st.binary(min_size=1, max_size=4))
    elif edit == "flip":
        at = draw(st.integers(0, len(compressed) - 1))
        compressed = compressed[:at] + bytes([compressed[at] ^ 0x40]) + compressed[at + 1 :]
    elif edit == "raw-deflate":
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        compressed = deflater.compress(raw) + deflater.flush()
    lst = draw(st.just(b64u_encode(compressed)) | st.text(max_size=12))
    bits = draw(st.sampled_from([1, 2, 4, 8]) | JSON_VALUES)
    claim: Any = {"bits": bits, "lst": lst}
    return draw(st.just(claim) | mutated(claim, max_edits=1))


@fuzz_settings(120)
@given(_lst_claims(), st.integers(1, 400))
def test_from_json_agrees_with_plain_zlib_decoding(claim: Any, max_bytes: int) -> None:
    expected = _reference_inflate(claim, max_bytes)
    status_list = attempt(lambda: StatusList.from_json(claim, max_bytes=max_bytes))
    if expected is None:
        assert type(status_list) is StatusInvalid
        return
    assert isinstance(status_list, StatusList)
    bits, raw = expected
    assert (status_list.bits, status_list.to_bytes(), len(status_list)) == (
        bits,
        raw,
        len(raw) * 8 // bits,
    )


@functools.cache
def _bomb(total: int, byte: int) -> bytes:
    """A ZLIB stream of ``total`` equal bytes, compressed in 1 MB steps (never held whole)."""
    compressor = zlib.compressobj(9)
    chunk = bytes([byte]) * MB
    parts = [compressor.compress(chunk) for _ in range(total // MB)]
    parts.append(compressor.compress(bytes([byte]) * (total % MB)))
    return b"".join(parts) + compressor.flush()


@fuzz_settings(15)
@given(
    st.sampled_from([MB + 1, 16 * MB, 64 * MB]),
    st.sampled_from([0x00, 0xFF]),
    st.integers(1, MB),
    st.sampled_from([1, 2, 4, 8]),
)
def test_a_zip_bomb_never_inflates_beyond_max_bytes(
    total: int, byte: int, max_bytes: int, bits: int
) -> None:
    lst = b64u_encode(_bomb(total, byte))
    claim = {"bits": bits, "lst": lst}
    tracemalloc.start()
    try:
        outcome = attempt(lambda: StatusList.from_json(claim, max_bytes=max_bytes))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert type(outcome) is StatusInvalid
    # At most max_bytes + 1 inflated bytes, which CPython's zlib collects in blocks and then
    # joins (so twice that at the peak), the decoded input and zlib's window: linear in
    # max_bytes, independent of what the stream would inflate to.
    assert peak < 2 * max_bytes + 2 * len(lst) + 512 * 1024


# --- the token --------------------------------------------------------------------------------

_HEADER = {"alg": "ES256", "typ": "statuslist+jwt", "kid": kid_of(ISSUER_ES256)}
_PAYLOAD = {
    "sub": SUB,
    "iss": ISS,
    "iat": NOW - 100,
    "exp": NOW + 3600,
    "ttl": 300,
    "status_list": StatusList.from_entries(64, 2, {3: 1, 5: 2}).to_json(),
}
_HEADER_ED = {"alg": "EdDSA", "typ": "statuslist+jwt", "kid": kid_of(ISSUER_EDDSA)}
_ALG_OF = {ISSUER_ES256: "ES256", ISSUER_EDDSA: "EdDSA"}
_NAMES = ("alg", "typ", "kid", "crit", "jwk", "sub", "iss", "iat", "exp", "nbf", "ttl", "bits")
_VALUES = JSON_VALUES | st.sampled_from(
    [NOW, NOW + 1, NOW - 1, True, 1.5, "statuslist+jwt", "EdDSA", "none", SUB, ISS, 0, 86_401]
)


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int


def _reference_token_ok(token: str) -> bool:
    """draft §8.3 and DESIGN §4 in order, for a token that parses (StatusInvalid otherwise)."""
    jws_ = parse_compact(token, StatusInvalid)
    header, claims = jws_.header, jws_.payload
    alg, kid = header.get("alg"), header.get("kid")
    if header.get("typ") != "statuslist+jwt" or alg not in _ALGS or "crit" in header:
        return False
    key = _KEYS.get(kid) if isinstance(kid, str) else None
    signer = ISSUER_ES256 if alg == "ES256" else ISSUER_EDDSA
    if key is None or kid != kid_of(signer):
        return False  # the harness signs with ISSUER_ES256 or ISSUER_EDDSA: the kid must match
    sub, iat, exp, ttl = (claims.get(n) for n in ("sub", "iat", "exp", "ttl"))
    return (
        sub == SUB
        and _is_int(iat)
        and _is_int(exp)
        and exp > NOW
        and ("nbf" not in claims or (_is_int(claims["nbf"]) and claims["nbf"] <= NOW))
        and ("iss" not in claims or claims["iss"] == ISS)
        and ("ttl" not in claims or _is_int(ttl))
        and _reference_inflate(claims.get("status_list"), MB) is not None
    )


@st.composite
def _tokens(draw: st.DrawFn) -> tuple[str, bool]:
    """A token signed with a trusted key after edits, and whether its signature is genuine."""
    base = draw(st.sampled_from([_HEADER, _HEADER_ED]))
    header = draw(st.just(base) | mutated(base, names=_NAMES, values=_VALUES, min_edits=1))
    payload = draw(mutated(_PAYLOAD, names=_NAMES, values=_VALUES, max_edits=2))
    if not isinstance(header, dict):
        header = {"value": header}
    if not isinstance(payload, dict):
        payload = {"value": payload}
    if draw(st.booleans()):
        payload = {**payload, "status_list": draw(_lst_claims())}
    signer = ISSUER_EDDSA if header.get("alg") == "EdDSA" else ISSUER_ES256
    if draw(st.integers(0, 7)) == 0:
        signer = ISSUER_ES256 if signer is ISSUER_EDDSA else ISSUER_EDDSA
    if draw(st.integers(0, 7)) == 0:
        return jws(header, payload, signer, signature=draw(st.binary(max_size=64))), False
    # ``jws`` signs exactly these bytes, whatever ``alg`` the edits left in the header.
    return jws(header, payload, signer), header.get("alg") == _ALG_OF[signer]


@fuzz_settings(120)
@given(_tokens() | hostile_text(40).map(lambda t: (t, False)))
def test_verify_token_accepts_exactly_what_the_rules_accept(case: tuple[str, bool]) -> None:
    token, genuine = case
    verified = attempt(
        lambda: verify_status_list_token(
            token,
            resolve_key=_KEYS.get,
            expected_sub=SUB,
            now=NOW,
            algorithms=_ALGS,
            max_bytes=MB,
            issuer=ISS,
        )
    )
    if not (genuine and _reference_token_ok(token)):
        assert type(verified) is StatusInvalid
        return
    assert isinstance(verified, StatusListToken)
    assert TTL_MIN <= verified.ttl <= TTL_MAX
    assert verified.sub == SUB
    assert verified.exp > NOW


_TOKEN = verify_status_list_token(
    jws(_HEADER, _PAYLOAD, ISSUER_ES256),
    resolve_key=_KEYS.get,
    expected_sub=SUB,
    now=NOW,
    algorithms=_ALGS,
    max_bytes=MB,
)


@fuzz_settings(100)
@given(JSON_VALUES | st.integers(-(2**70), 2**70), st.booleans())
def test_status_at_answers_a_status_or_status_invalid_for_any_index(
    idx: Any, whole_token: bool
) -> None:
    source: StatusListToken | StatusList = _TOKEN if whole_token else _TOKEN.status_list
    value = attempt(lambda: status_at(source, idx))
    if type(idx) is int and 0 <= idx < len(_TOKEN.status_list):
        assert value == {3: 1, 5: 2}.get(idx, 0)
    else:
        assert type(value) is StatusInvalid
