"""``bench/floor.py`` must do the work it claims to time, or the floor figure means nothing.

The floor is compared with the pipeline in ``bench/core.py``; if it skipped a signature or a
parse it would look faster than any verifier could be and overstate the gap the checks leave.
"""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature

from bench.floor import floor_verify
from tests.hostile import ISSUER_ES256
from tests.wire.conftest import CLAIMS, HOLDER_ES256, ISSUER, issue, present
from wire.jwk import public_jwk


def _presentation() -> str:
    return present(issue(holder=HOLDER_ES256), "agency", holder=HOLDER_ES256)


def test_the_floor_parses_the_payload_it_verifies() -> None:
    claims = floor_verify(_presentation(), ISSUER_ES256.public_key())
    assert claims["iss"] == ISSUER
    assert claims["cnf"]["jwk"] == public_jwk(HOLDER_ES256)
    assert CLAIMS["name"] not in str(claims)  # still digests: the floor does not unpack


def test_the_floor_verifies_the_issuer_signature() -> None:
    text = _presentation()
    jwt, _, rest = text.partition("~")
    forged = jwt[:-2] + ("AA" if not jwt.endswith("AA") else "BA")
    with pytest.raises(InvalidSignature):
        floor_verify(forged + "~" + rest, ISSUER_ES256.public_key())


def test_the_floor_verifies_the_holder_signature() -> None:
    text = _presentation()
    forged = text[:-2] + ("AA" if not text.endswith("AA") else "BA")
    with pytest.raises(InvalidSignature):
        floor_verify(forged, ISSUER_ES256.public_key())


def test_the_floor_verifies_against_the_key_it_is_given() -> None:
    with pytest.raises(InvalidSignature):
        floor_verify(_presentation(), HOLDER_ES256.public_key())


def test_the_floor_hashes_and_parses_every_disclosure() -> None:
    text = _presentation()
    parts = text.split("~")
    parts[1] = "bm90IGpzb24"  # base64url of "not json"
    with pytest.raises((ValueError, StopIteration)):
        floor_verify("~".join(parts), ISSUER_ES256.public_key())
