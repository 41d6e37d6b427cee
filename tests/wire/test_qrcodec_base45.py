"""Base45 (RFC 9285), the alphabet of the ``RP1:`` QR payload: the RFC's examples, refusals
of what the encoder cannot produce, and the round-trip property.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.base45 import B45_ALPHABET, b45decode, b45encode
from wire.errors import Malformed

RFC9285_EXAMPLES = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
]


@pytest.mark.parametrize(("data", "text"), RFC9285_EXAMPLES)
def test_base45_rfc9285_examples(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text, Malformed) == data


@pytest.mark.parametrize(
    "text",
    [
        "GGW",  # 16 + 16*45 + 32*45^2 = 65536 > 65535
        "::",  # final pair 44 + 44*45 > 255
        "BB8A",  # one character left over
        "bb8",  # lower case is not in the alphabet
        "BB=",
        "BB\n",
        "ＢＢ8",  # full-width look-alikes
    ],
)
def test_base45_rejects_what_the_encoder_cannot_produce(text: str) -> None:
    with pytest.raises(Malformed):
        b45decode(text, Malformed)


@given(st.binary(max_size=300))
def test_base45_round_trip(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set(B45_ALPHABET)
    assert len(text) == len(data) // 2 * 3 + len(data) % 2 * 2
    assert b45decode(text, Malformed) == data
