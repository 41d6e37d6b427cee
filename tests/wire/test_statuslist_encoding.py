"""The ``status_list`` claim's encoding: refused bit widths, non-canonical base64url, ZLIB
bombs and broken streams.
"""

from __future__ import annotations

import tracemalloc
import zlib
from typing import Any

import pytest

from tests.wire.statuslist_helpers import MB, signed_token, verify_token
from wire.encoding import b64u_encode
from wire.errors import StatusInvalid
from wire.statuslist import StatusList


def _lst(raw: bytes) -> str:
    return b64u_encode(raw)


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
        verify_token(signed_token(status_list=claim))


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
