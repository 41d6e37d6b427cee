"""Token Status List (draft-ietf-oauth-status-list-20): the draft's encoding vectors both ways,
its bit order and its example token.
"""

from __future__ import annotations

import json
import zlib
from functools import cache
from typing import Any

import pytest

from tests.wire.statuslist_helpers import MB, VECTORS, b64u_decode_lenient, key_resolver
from wire.errors import StatusInvalid
from wire.jwk import load_public_jwk
from wire.statuslist import INVALID, StatusList, status_at, verify_status_list_token


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
    compressed = b64u_decode_lenient(encoded["lst"])
    assert compressed[:2] == b"\x78\xda"  # ZLIB header, level 9 (draft §4.1)
    ours = zlib.decompress(compressed)
    if "uncompressed_hex" in vector:
        spec = bytes.fromhex(vector["uncompressed_hex"])
    else:
        spec = zlib.decompress(b64u_decode_lenient(vector["json_status_list"]["lst"]))
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
        resolve_key=key_resolver({"12": key}),
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
            resolve_key=key_resolver({"12": key}),
            expected_sub=payload["sub"],
            now=payload["exp"],
            algorithms={"ES256"},
            max_bytes=MB,
        )
