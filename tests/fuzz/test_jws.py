"""Fuzzing compact JWS parsing and raw signature checks (wire/jws.py).

``parse_compact`` must turn any text into a parsed JWS or the caller's error, agreeing with the
obvious split-and-decode; ``verify_raw`` must answer a bool for *any* signature bytes, key and
``alg`` (it sits behind the signature check of credentials, KB-JWTs, status tokens and key
proofs), and say True only for a signature the key actually made.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import attempt, b64u_segments, edited_bytes, fuzz_settings, hostile_text
from tests.wire.conftest import HOLDER_EDDSA, HOLDER_ES256, ISSUER_ES256, raw_sign
from wire.encoding import b64u_decode, loads_object
from wire.errors import HolderBindingInvalid, StatusInvalid, VerificationError
from wire.jwk import PrivateKey
from wire.jws import CompactJWS, parse_compact, verify_raw

_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_KEYS: tuple[PrivateKey, ...] = (ISSUER_ES256, HOLDER_ES256, HOLDER_EDDSA)


def _reference_parse(token: str, error: type[VerificationError]) -> tuple[Any, ...] | None:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    try:
        header = loads_object(b64u_decode(parts[0], error), error)
        payload = loads_object(b64u_decode(parts[1], error), error)
        signature = b64u_decode(parts[2], error)
    except VerificationError:
        return None
    return header, payload, f"{parts[0]}.{parts[1]}".encode(), signature


@fuzz_settings(150)
@given(
    hostile_text(60)
    | st.integers(1, 4).flatmap(b64u_segments)
    | st.tuples(
        st.integers(1, 4).flatmap(b64u_segments), st.sampled_from(["", ".", "..", "="])
    ).map("".join),
    st.sampled_from([HolderBindingInvalid, StatusInvalid]),
)
def test_parse_compact_gives_a_jws_or_the_callers_error(
    token: str, error: type[VerificationError]
) -> None:
    expected = _reference_parse(token, error)
    jws = attempt(lambda: parse_compact(token, error))
    if expected is None:
        assert type(jws) is error
    else:
        assert isinstance(jws, CompactJWS)
        assert (jws.header, jws.payload, jws.signing_input, jws.signature) == expected


_EDGE_SCALARS = st.sampled_from([0, 1, _P256_N - 1, _P256_N, _P256_N + 1, 2**256 - 1])


@st.composite
def _signatures(draw: st.DrawFn) -> bytes:
    """Random lengths, and 64-byte ``r || s`` pairs at the edges of the ES256 range."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=80))
    r = draw(_EDGE_SCALARS | st.integers(0, 2**256 - 1))
    s = draw(_EDGE_SCALARS | st.integers(0, 2**256 - 1))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@fuzz_settings(150)
@given(
    _signatures(),
    st.binary(max_size=40),
    st.sampled_from(_KEYS),
    st.sampled_from(["ES256", "EdDSA", "none", "HS256", "es256", ""]),
)
def test_verify_raw_refuses_forged_signatures_without_raising(
    signature: bytes, data: bytes, key: PrivateKey, alg: str
) -> None:
    assert verify_raw(signature, data, key.public_key(), alg) is False


def _flipped_s(signature: bytes) -> bytes:
    """The other valid ECDSA signature ``(r, n - s)`` (ECDSA is malleable; RFC 7518 allows it)."""
    s = int.from_bytes(signature[32:], "big")
    return signature[:32] + (_P256_N - s).to_bytes(32, "big")


@fuzz_settings(100)
@given(st.binary(max_size=40), st.sampled_from(_KEYS), st.data())
def test_an_edited_genuine_signature_verifies_only_if_unchanged(
    data: bytes, key: PrivateKey, draw: st.DataObject
) -> None:
    genuine = raw_sign(key, data)
    alg = "EdDSA" if key is HOLDER_EDDSA else "ES256"
    assert verify_raw(genuine, data, key.public_key(), alg)
    # The wrong algorithm for the key type never verifies, even with a genuine signature.
    assert not verify_raw(genuine, data, key.public_key(), "ES256" if alg == "EdDSA" else "EdDSA")
    edited = draw.draw(edited_bytes(genuine))
    accepted = verify_raw(edited, data, key.public_key(), alg)
    assert accepted == (edited == genuine or (alg == "ES256" and edited == _flipped_s(genuine)))
