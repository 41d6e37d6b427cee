"""Fuzzing JWK import (wire/jwk.py): holder keys in ``cnf`` and key proofs are attacker-chosen.

An imported key must be exactly the key the JWK describes (no normalisation that would give one
key two spellings), and everything else must be the caller's error class.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import JSON_VALUES, attempt, fuzz_settings, mutated
from tests.wire.conftest import HOLDER_EDDSA, HOLDER_ES256
from wire.encoding import b64u_encode
from wire.errors import HolderBindingInvalid, PermitError
from wire.jwk import PublicKey, ed25519_is_weak, load_public_jwk, public_jwk

_VALID = (public_jwk(HOLDER_ES256), public_jwk(HOLDER_EDDSA))
_MEMBER_VALUES = (
    st.sampled_from(["EC", "OKP", "P-256", "Ed25519", "P-384", "X25519", "RSA", ""])
    | st.binary(min_size=30, max_size=34).map(b64u_encode)
    | st.sampled_from(["AA", "_" * 43, "A" * 43 + "=", b64u_encode(bytes(32))])
    | JSON_VALUES
)


_JWKS = st.sampled_from(_VALID).flatmap(
    lambda jwk: mutated(
        jwk, names=("d", "y", "x", "kty", "crv", "alg", "kid", "use"), values=_MEMBER_VALUES
    )
)


def _describes(jwk: dict[str, Any], key: PublicKey) -> bool:
    """Whether the key's own public JWK carries exactly the members the input gave."""
    exported = public_jwk(key)
    return all(jwk.get(name) == value for name, value in exported.items())


@fuzz_settings(150)
@given(_JWKS)
def test_load_public_jwk_imports_exactly_the_described_key_or_refuses(jwk: Any) -> None:
    key = attempt(lambda: load_public_jwk(jwk, HolderBindingInvalid))
    if isinstance(key, PermitError):
        assert type(key) is HolderBindingInvalid
        return
    assert isinstance(jwk, dict)
    assert "d" not in jwk
    assert _describes(jwk, key)


@fuzz_settings(100)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_random_ec_points_are_refused_unless_on_the_curve(x: bytes, y: bytes) -> None:
    jwk = {"kty": "EC", "crv": "P-256", "x": b64u_encode(x), "y": b64u_encode(y)}
    key = attempt(lambda: load_public_jwk(jwk, HolderBindingInvalid))
    if isinstance(key, PermitError):
        assert type(key) is HolderBindingInvalid
        return
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert _describes(jwk, key)


@fuzz_settings(150)
@given(st.binary(min_size=32, max_size=32))
def test_random_ed25519_keys_import_iff_canonical_and_not_small_order(raw: bytes) -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw)}
    key = attempt(lambda: load_public_jwk(jwk, HolderBindingInvalid))
    if ed25519_is_weak(raw):
        assert type(key) is HolderBindingInvalid
        return
    assert isinstance(key, ed25519.Ed25519PublicKey)
    assert key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw


@fuzz_settings(100)
@given(st.binary(max_size=40))
def test_ed25519_is_weak_answers_for_any_length(raw: bytes) -> None:
    assert isinstance(ed25519_is_weak(raw), bool)
    if len(raw) != 32:
        assert ed25519_is_weak(raw)
