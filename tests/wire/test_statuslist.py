"""Token Status List (draft-ietf-oauth-status-list-20): spec vectors, hostile input, properties."""

from __future__ import annotations

import ast
import base64
import json
import tracemalloc
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

import wire.statuslist as statuslist_module
from tests.vectors import vectors_dir
from wire.encoding import b64u_encode
from wire.errors import StatusInvalid
from wire.jwk import PublicKey, load_public_jwk
from wire.jws import sign_compact
from wire.statuslist import (
    INVALID,
    SUSPENDED,
    TTL_MAX,
    TTL_MIN,
    VALID,
    StatusList,
    StatusListToken,
    StatusValue,
    build_status_list_token,
    status_at,
    verify_status_list_token,
)

VECTORS = vectors_dir() / "token-status-list"
MB = 1024 * 1024
SUB = "https://issuer.example.cn/statuslists/7"
ISS = "https://issuer.example.cn"
KID = "status-key-1"
NOW = 1_750_000_000
ALGS = frozenset({"ES256", "EdDSA"})

KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()


@cache
def _encoding_vectors() -> list[dict[str, Any]]:
    data = json.loads((VECTORS / "status_list_encoding_vectors.json").read_text("utf-8"))
    vectors: list[dict[str, Any]] = data["vectors"]
    return vectors


def _token_example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (VECTORS / "status_list_token_jwt_example.json").read_text("utf-8")
    )
    return data


def _b64u_decode_lenient(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _lst(raw: bytes) -> str:
    return b64u_encode(raw)


def _keys(mapping: dict[str, PublicKey]) -> Callable[[str], PublicKey | None]:
    return mapping.get


RESOLVE = _keys({KID: KEY.public_key()})


_DROP = object()


def _payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "sub": SUB,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "ttl": 300,
        "iss": ISS,
        "status_list": StatusList.from_entries(16, 2, {0: 1, 5: 2}).to_json(),
    }
    for name, value in overrides.items():
        if value is _DROP:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def _token(header: dict[str, Any] | None = None, key: Any = KEY, **payload_overrides: Any) -> str:
    full_header = {"typ": "statuslist+jwt", "kid": KID} if header is None else header
    return sign_compact(full_header, _payload(**payload_overrides), key)


def _verify(token: str, **overrides: Any) -> StatusListToken:
    kwargs: dict[str, Any] = {
        "resolve_key": RESOLVE,
        "expected_sub": SUB,
        "now": NOW,
        "algorithms": ALGS,
        "max_bytes": MB,
        "issuer": ISS,
    }
    kwargs.update(overrides)
    return verify_status_list_token(token, **kwargs)


def _nonzero(status_list: StatusList) -> dict[int, int]:
    """Every non-zero entry, found by scanning bytes rather than calling get() 2^20 times."""
    raw, bits = status_list.to_bytes(), status_list.bits
    per_byte = 8 // bits
    found: dict[int, int] = {}
    for byte_index in (i for i, byte in enumerate(raw) if byte):
        for idx in range(byte_index * per_byte, (byte_index + 1) * per_byte):
            if idx < len(status_list) and (value := status_list.get(idx)):
                found[idx] = value
    return found


# --- spec vectors ------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", _encoding_vectors(), ids=lambda v: v["id"])
def test_vector_decodes_to_exactly_the_listed_statuses(vector: dict[str, Any]) -> None:
    decoded = StatusList.from_json(vector["json_status_list"], max_bytes=2 * MB)
    assert decoded.bits == vector["bits"]
    assert len(decoded.to_bytes()) == vector["uncompressed_length_bytes"]
    assert len(decoded) == vector["size"]
    expected = {int(idx): value for idx, value in vector["statuses_set"].items()}
    for idx, value in expected.items():
        assert decoded.get(idx) == value
        assert status_at(decoded, idx) == value
    assert _nonzero(decoded) == {idx: value for idx, value in expected.items() if value}


@pytest.mark.parametrize("vector", _encoding_vectors(), ids=lambda v: v["id"])
def test_vector_encodes_to_the_spec_bytes(vector: dict[str, Any]) -> None:
    entries = {int(idx): value for idx, value in vector["statuses_set"].items()}
    built = StatusList.from_entries(vector["size"], vector["bits"], entries)
    encoded = built.to_json()
    assert set(encoded) == {"bits", "lst"}
    assert encoded["bits"] == vector["bits"]
    compressed = _b64u_decode_lenient(encoded["lst"])
    assert compressed[:2] == b"\x78\xda"  # ZLIB header, level 9 (draft §4.1)
    ours = zlib.decompress(compressed)
    if "uncompressed_hex" in vector:
        spec = bytes.fromhex(vector["uncompressed_hex"])
    else:
        spec = zlib.decompress(_b64u_decode_lenient(vector["json_status_list"]["lst"]))
    assert ours == spec
    assert len(ours) == vector["uncompressed_length_bytes"]


def test_bit_order_is_lsb_first() -> None:
    one_bit = StatusList(8, 1)
    one_bit.set(0, 1)
    assert one_bit.to_bytes() == b"\x01"
    two_bit = StatusList(4, 2)
    two_bit.set(3, 3)
    two_bit.set(0, 2)
    assert two_bit.to_bytes() == b"\xc2"
    four_bit = StatusList(2, 4)
    four_bit.set(1, 0xA)
    assert four_bit.to_bytes() == b"\xa0"


def test_spec_token_verifies_and_index_0_is_invalid() -> None:
    example = _token_example()
    key = load_public_jwk(
        {
            k: v
            for k, v in example["status_issuer_public_jwk"].items()
            if k in {"kty", "crv", "x", "y"}
        },
        StatusInvalid,
    )
    payload = example["payload"]
    result = verify_status_list_token(
        example["status_list_token_jwt"],
        resolve_key=_keys({"12": key}),
        expected_sub=payload["sub"],
        now=payload["iat"] + 60,
        algorithms={"ES256"},
        max_bytes=MB,
        issuer=payload["iss"],
    )
    assert (result.sub, result.iat, result.exp, result.ttl) == (
        payload["sub"],
        payload["iat"],
        payload["exp"],
        43200,
    )
    assert status_at(result, 0) == INVALID
    assert [result.status_list.get(i) for i in range(16)] == example["decoded_statuses"]
    assert len(result.status_list) == 16
    with pytest.raises(StatusInvalid):  # the same token after its exp
        verify_status_list_token(
            example["status_list_token_jwt"],
            resolve_key=_keys({"12": key}),
            expected_sub=payload["sub"],
            now=payload["exp"],
            algorithms={"ES256"},
            max_bytes=MB,
        )


# --- build / verify round trip -----------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, ED_KEY], ids=["ES256", "EdDSA"])
def test_build_then_verify(key: Any) -> None:
    status_list = StatusList.from_entries(1000, 2, {3: INVALID, 999: SUSPENDED})
    token = build_status_list_token(
        status_list=status_list, sub=SUB, iat=NOW, exp=NOW + 60, ttl=600, key=key, kid=KID, iss=ISS
    )
    header = json.loads(_b64u_decode_lenient(token.split(".")[0]))
    assert header == {
        "alg": "ES256" if key is KEY else "EdDSA",
        "typ": "statuslist+jwt",
        "kid": KID,
    }
    result = _verify(token, resolve_key=_keys({KID: key.public_key()}))
    assert (result.sub, result.iat, result.exp, result.ttl) == (SUB, NOW, NOW + 60, 600)
    assert status_at(result, 3) == StatusValue.INVALID
    assert status_at(result, 999) == SUSPENDED
    assert status_at(result, 4) == VALID
    # 1000 two-bit entries are exactly 250 bytes, so the decoded list is equal, size included.
    assert result.status_list == status_list


def test_build_without_iss_omits_it() -> None:
    token = build_status_list_token(
        status_list=StatusList(8, 1), sub=SUB, iat=NOW, exp=NOW + 60, ttl=60, key=KEY, kid=KID
    )
    payload = json.loads(_b64u_decode_lenient(token.split(".")[1]))
    assert set(payload) == {"sub", "iat", "exp", "ttl", "status_list"}
    assert _verify(token).sub == SUB


def test_build_refuses_non_int_times() -> None:
    with pytest.raises(TypeError):
        build_status_list_token(
            status_list=StatusList(8, 1), sub=SUB, iat=True, exp=NOW, ttl=60, key=KEY, kid=KID
        )


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [
        (0, TTL_MIN),
        (-5, TTL_MIN),
        (59, 60),
        (60, 60),
        (3600, 3600),
        (86_400, 86_400),
        (10**9, TTL_MAX),
    ],
)
def test_ttl_is_clamped(ttl: int, expected: int) -> None:
    assert _verify(_token(ttl=ttl)).ttl == expected


def test_absent_ttl_is_the_minimum() -> None:
    assert _verify(_token(ttl=_DROP)).ttl == TTL_MIN


def test_iss_is_optional_and_unchecked_without_issuer() -> None:
    assert _verify(_token(iss=_DROP)).sub == SUB
    assert _verify(_token(iss="https://elsewhere.example"), issuer=None).sub == SUB


# --- negative: token ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"kid": KID},
        {"typ": "JWT", "kid": KID},
        {"typ": "application/statuslist+jwt", "kid": KID},
        {"typ": "STATUSLIST+JWT", "kid": KID},
        {"typ": "dc+sd-jwt", "kid": KID},
    ],
)
def test_wrong_typ(header: dict[str, Any]) -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(header))


@pytest.mark.parametrize(
    "sub", ["https://issuer.example.cn/statuslists/8", SUB + "/", 7, None, _DROP]
)
def test_wrong_sub(sub: Any) -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(sub=sub))


def test_unknown_kid() -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(), resolve_key=lambda kid: None)
    for header in ({"typ": "statuslist+jwt"}, {"typ": "statuslist+jwt", "kid": 12}):
        with pytest.raises(StatusInvalid):
            _verify(_token(header))


def test_other_issuers_key() -> None:
    token = _token(key=OTHER_KEY)  # signed by a key that is not the issuer's
    with pytest.raises(StatusInvalid):
        _verify(token)
    with pytest.raises(StatusInvalid):  # the resolver hands back a different key for the kid
        _verify(_token(), resolve_key=_keys({KID: OTHER_KEY.public_key()}))
    with pytest.raises(StatusInvalid):  # key type does not match alg
        _verify(_token(), resolve_key=_keys({KID: ED_KEY.public_key()}))


def test_tampered_token() -> None:
    header, payload, signature = _token().split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    forged_payload = b64u_encode(json.dumps(_payload(sub=SUB, exp=NOW + 10**6)).encode())
    for token in (
        f"{header}.{payload}.{flipped}",
        f"{header}.{forged_payload}.{signature}",
        f"{header}.{payload}.{signature[:-2]}",
        f"{header}.{payload}.",
        f"{header}.{payload}",
    ):
        with pytest.raises(StatusInvalid):
            _verify(token)


def test_alg_not_allowed() -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(), algorithms={"EdDSA"})
    with pytest.raises(StatusInvalid):
        _verify(_token(), algorithms=set())
    header = b64u_encode(b'{"alg":"none","typ":"statuslist+jwt","kid":"status-key-1"}')
    payload = b64u_encode(json.dumps(_payload()).encode())
    with pytest.raises(StatusInvalid):
        _verify(f"{header}.{payload}.AAAA", algorithms={"none", "ES256"})


def test_crit_header_is_refused() -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token({"typ": "statuslist+jwt", "kid": KID, "crit": ["exp"]}))


@pytest.mark.parametrize("exp", [NOW, NOW - 1, 0])
def test_expired(exp: int) -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(exp=exp))


def test_not_before() -> None:
    assert _verify(_token(nbf=NOW)).sub == SUB
    for nbf in (NOW + 1, "0", True):
        with pytest.raises(StatusInvalid):
            _verify(_token(nbf=nbf))


@pytest.mark.parametrize("iss", ["https://other.example.cn", ISS + "/", 1, None])
def test_iss_mismatch(iss: Any) -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(iss=iss))


@pytest.mark.parametrize("claim", ["iat", "exp"])
@pytest.mark.parametrize("value", [True, False, "1750000000", 1.75e9, None, [1], _DROP])
def test_times_must_be_ints(claim: str, value: Any) -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(**{claim: value}))


@pytest.mark.parametrize("ttl", [True, "60", 60.0, None])
def test_ttl_must_be_int(ttl: Any) -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(ttl=ttl))


@pytest.mark.parametrize(
    "status_list",
    [
        _DROP,
        None,
        [],
        "eNrbuRgAAhcBXQ",
        {"bits": 1},
        {"lst": "eNrbuRgAAhcBXQ"},
        {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": True, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1.0, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": "1", "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1, "lst": 5},
        {"bits": 1, "lst": "eNrbuRgAAhcBXR"},  # non-zero trailing bits
    ],
)
def test_bad_status_list_claim(status_list: Any) -> None:
    with pytest.raises(StatusInvalid):
        _verify(_token(status_list=status_list))


def test_token_size_limit() -> None:
    token = _token()
    assert _verify(token, max_size_chars=len(token)).sub == SUB
    with pytest.raises(StatusInvalid):
        _verify(token, max_size_chars=len(token) - 1)
    with pytest.raises(StatusInvalid):
        _verify(token.encode())  # type: ignore[arg-type]


# --- negative: encoding -------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [0, 3, 5, 16, -1, True])
def test_bits_outside_the_draft(bits: Any) -> None:
    with pytest.raises(ValueError):
        StatusList(8, bits)
    with pytest.raises(StatusInvalid):
        StatusList.from_json({"bits": bits, "lst": "eNrbuRgAAhcBXQ"}, max_bytes=MB)


@pytest.mark.parametrize(
    "lst",
    [
        "eNrbuRgAAhcBXQ==",  # padding
        "eNrbuRgAAhcBXR",  # non-zero trailing bits
        "eNrbuRgAAhcBX Q",  # whitespace
        "eNrbuRgAAhcBXQ\n",
        "eNr+uRgAAhcBXQ",  # standard alphabet
        "eNr/uRgAAhcBXQ",
        "eNrbuRgAAhcBX",  # length 1 mod 4
        "",  # empty
    ],
)
def test_non_canonical_or_empty_lst(lst: str) -> None:
    with pytest.raises(StatusInvalid):
        StatusList.from_json({"bits": 1, "lst": lst}, max_bytes=MB)


def test_spec_lst_accepted_as_is() -> None:
    decoded = StatusList.from_json({"bits": 1, "lst": "eNrbuRgAAhcBXQ"}, max_bytes=2)
    assert decoded.to_bytes() == bytes.fromhex("b9a3")


def _zeros_bomb(total: int) -> bytes:
    """ZLIB stream of ``total`` zero bytes, built in 1 MB chunks so the test stays small too."""
    compressor = zlib.compressobj(9)
    chunk = bytes(MB)
    parts = [compressor.compress(chunk) for _ in range(total // MB)]
    parts.append(compressor.flush())
    return b"".join(parts)


def test_zip_bomb_is_refused_without_inflating_it() -> None:
    bomb = _zeros_bomb(50 * MB)
    assert len(bomb) < 100_000
    claim = {"bits": 2, "lst": b64u_encode(bomb)}
    tracemalloc.start()
    try:
        with pytest.raises(StatusInvalid):
            StatusList.from_json(claim, max_bytes=MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MB  # at most max_bytes + 1 inflated, plus the compressed input
    with pytest.raises(StatusInvalid):
        _verify(_token(status_list=claim))


def test_max_bytes_boundary() -> None:
    compressed = zlib.compress(bytes(1000), 9)
    claim = {"bits": 8, "lst": b64u_encode(compressed)}
    assert len(StatusList.from_json(claim, max_bytes=1000)) == 1000
    with pytest.raises(StatusInvalid):
        StatusList.from_json(claim, max_bytes=999)


def test_trailing_garbage_truncation_and_non_zlib() -> None:
    raw = bytes.fromhex("b9a3")
    good = zlib.compress(raw, 9)
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflate_only = raw_deflate.compress(raw) + raw_deflate.flush()
    bad_checksum = good[:-1] + bytes([good[-1] ^ 1])
    for compressed in (
        good + b"\x00",
        good + good,  # a second stream
        good[:-1],  # truncated Adler-32
        good[:-4],
        good[:3],
        deflate_only,  # raw DEFLATE without the ZLIB header
        bad_checksum,
        zlib.compress(b"", 9),  # an empty list
        b"\x78",
    ):
        with pytest.raises(StatusInvalid):
            StatusList.from_json({"bits": 1, "lst": _lst(compressed)}, max_bytes=MB)
    assert StatusList.from_json({"bits": 1, "lst": _lst(good)}, max_bytes=MB).to_bytes() == raw


# --- lookup ---------------------------------------------------------------------------------


@pytest.mark.parametrize("idx", [-1, 16, 10**30, True, False, 1.0, "0", None])
def test_status_at_rejects_bad_index(idx: Any) -> None:
    status_list = StatusList.from_entries(16, 1, {0: 1})
    with pytest.raises(StatusInvalid):
        status_at(status_list, idx)
    token = _verify(_token(status_list=status_list.to_json()))
    with pytest.raises(StatusInvalid):
        status_at(token, idx)


def test_status_at_edges() -> None:
    status_list = StatusList.from_entries(12, 2, {0: 1, 11: 2})
    assert status_at(status_list, 0) == INVALID
    assert status_at(status_list, 11) == SUSPENDED
    assert status_at(status_list, 5) == VALID


def test_issuer_api_misuse() -> None:
    status_list = StatusList(10, 2)
    for size in (0, -1, True):
        with pytest.raises(ValueError):
            StatusList(size, 2)
    with pytest.raises(ValueError):
        status_list.set(0, 4)
    with pytest.raises(ValueError):
        status_list.set(0, -1)
    with pytest.raises(ValueError):
        status_list.set(0, True)
    with pytest.raises(IndexError):
        status_list.set(10, 1)
    with pytest.raises(IndexError):
        status_list.get(-1)
    with pytest.raises(TypeError):
        status_list.get(True)
    with pytest.raises(ValueError):
        StatusList.from_bytes(b"", 1)
    with pytest.raises(ValueError):
        StatusList.from_json({"bits": 1, "lst": "eNrbuRgAAhcBXQ"}, max_bytes=0)


def test_from_entries_accepts_pairs_and_last_write_wins() -> None:
    built = StatusList.from_entries(8, 4, [(1, 3), (1, 9), (7, 15)])
    assert [built.get(i) for i in range(8)] == [0, 9, 0, 0, 0, 0, 0, 15]


def test_large_list_round_trips() -> None:
    """A production-sized list (timing lives in bench/, never in tests)."""
    entries = {idx: 1 + idx % 2 for idx in range(0, 1_000_000, 97)}
    built = StatusList.from_entries(1_000_000, 2, entries)
    encoded = built.to_json()
    decoded = StatusList.from_json(encoded, max_bytes=250_000)
    assert decoded == built


# --- properties -------------------------------------------------------------------------------


@st.composite
def _lists(draw: st.DrawFn) -> tuple[int, int, dict[int, int]]:
    bits = draw(st.sampled_from([1, 2, 4, 8]))
    size = draw(st.integers(min_value=1, max_value=2000))
    entries = draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=0, max_value=(1 << bits) - 1),
            max_size=64,
        )
    )
    return size, bits, entries


@settings(max_examples=150, deadline=None)
@given(_lists())
def test_round_trip(case: tuple[int, int, dict[int, int]]) -> None:
    size, bits, entries = case
    built = StatusList.from_entries(size, bits, entries)
    decoded = StatusList.from_json(built.to_json(), max_bytes=(size * bits + 7) // 8)
    assert decoded.bits == bits
    assert decoded.to_bytes() == built.to_bytes()
    assert len(decoded) == len(built.to_bytes()) * 8 // bits >= size
    for idx in range(len(decoded)):
        assert decoded.get(idx) == entries.get(idx, 0)


@settings(max_examples=150, deadline=None)
@given(_lists(), st.data())
def test_set_get_matches_a_dict_model(
    case: tuple[int, int, dict[int, int]], data: st.DataObject
) -> None:
    size, bits, _ = case
    status_list = StatusList(size, bits)
    model: dict[int, int] = {}
    writes = data.draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=size - 1),
                st.integers(min_value=0, max_value=(1 << bits) - 1),
            ),
            max_size=100,
        )
    )
    for idx, value in writes:
        status_list.set(idx, value)
        model[idx] = value
        assert status_list.get(idx) == value
    assert all(status_list.get(idx) == model.get(idx, 0) for idx in range(size))
    assert status_list == StatusList.from_entries(size, bits, model)


# --- module surface ---------------------------------------------------------------------------


def test_public_surface() -> None:
    assert set(statuslist_module.__all__) == {
        "ALLOWED_BITS",
        "DEFAULT_MAX_TOKEN_CHARS",
        "INVALID",
        "SUSPENDED",
        "STATUS_LIST_TYP",
        "TTL_MAX",
        "TTL_MIN",
        "VALID",
        "StatusList",
        "StatusListToken",
        "StatusValue",
        "build_status_list_token",
        "status_at",
        "verify_status_list_token",
    }
    assert len(set(statuslist_module.__all__)) == len(statuslist_module.__all__)
    assert (VALID, INVALID, SUSPENDED) == (0, 1, 2)


def test_module_is_pure() -> None:
    assert statuslist_module.__file__ is not None
    with open(statuslist_module.__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {
        "__future__",
        "zlib",
        "collections",
        "dataclasses",
        "enum",
        "typing",
        "wire",
    }
