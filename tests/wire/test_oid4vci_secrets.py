"""OpenID4VCI secrets: pre-authorized codes, nonces, access tokens and ``tx_code`` PINs from an
injected randomness source, and the hashes the issuer stores instead of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from wire.encoding import b64u_encode
from wire.oid4vci import (
    hash_secret,
    hash_tx_code,
    new_access_token,
    new_c_nonce,
    new_pre_authorized_code,
    new_secret,
    new_tx_code,
    secret_matches,
)


def _counting_bytes() -> Callable[[int], bytes]:
    counter = iter(range(256))

    def randbytes(n: int) -> bytes:
        return bytes(next(counter) for _ in range(n))

    return randbytes


def test_secrets_use_the_injected_source() -> None:
    assert new_secret(randbytes=bytes) == "A" * 43
    assert new_pre_authorized_code(randbytes=_counting_bytes()) == b64u_encode(bytes(range(32)))
    assert new_c_nonce(randbytes=lambda n: b"\xff" * n) == "_" * 42 + "8"
    assert len(new_access_token()) == 43
    assert new_c_nonce() != new_c_nonce()


def test_secret_sources_are_checked() -> None:
    with pytest.raises(ValueError):
        new_secret(nbytes=8)
    with pytest.raises(ValueError):
        new_secret(randbytes=lambda n: bytes(n - 1))
    with pytest.raises(ValueError):
        new_tx_code(randbelow=lambda n: n)
    with pytest.raises(ValueError):
        new_tx_code(length=3)


def test_tx_codes_are_digits() -> None:
    digits: Iterator[int] = iter([4, 9, 3, 5, 3, 6])
    assert new_tx_code(randbelow=lambda n: next(digits)) == "493536"
    code = new_tx_code(length=8)
    assert len(code) == 8
    assert code.isascii()
    assert code.isdigit()


def test_hashes_for_storage() -> None:
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert secret_matches("abc", hash_secret("abc"))
    assert not secret_matches("abd", hash_secret("abc"))
    bound = hash_tx_code("493536", pre_authorized_code="code-1")
    assert len(bound) == 64
    assert bound == hash_tx_code("493536", pre_authorized_code="code-1")
    assert bound != hash_tx_code("493536", pre_authorized_code="code-2")
    assert bound != hash_secret("493536")
