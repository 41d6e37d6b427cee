"""JWK import/export, RFC 7638 thumbprints and holder-key validation (DESIGN §2, §3)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.encoding import b64u_decode, b64u_encode
from wire.errors import HolderBindingInvalid, Malformed
from wire.jwk import alg_for_key, ed25519_is_weak, load_public_jwk, public_jwk, thumbprint

EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()

#: RFC 8037 Appendix A.2/A.3: the Ed25519 example key and its RFC 7638 thumbprint.
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

#: Every small-order point of edwards25519 and non-canonical encodings (libsodium's list).
WEAK_ED25519 = [
    "0100000000000000000000000000000000000000000000000000000000000000",  # identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  # order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  # order 8
    "0100000000000000000000000000000000000000000000000000000000000080",  # x = 0 with sign 1
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # y > p, sign 1
]


def _raw(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_rfc8037_thumbprint() -> None:
    assert thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT
    # Members outside the RFC 7638 set, and member order, do not change it.
    assert thumbprint({"x": RFC8037_JWK["x"], "kid": "k", "crv": "Ed25519", "kty": "OKP"}) == (
        RFC8037_THUMBPRINT
    )


def test_ec_thumbprint_uses_the_required_members_in_order() -> None:
    jwk = public_jwk(EC_KEY)
    canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]})
    canonical = canonical.replace(" ", "")
    assert thumbprint({**jwk, "alg": "ES256", "use": "sig"}) == b64u_encode(
        hashlib.sha256(canonical.encode()).digest()
    )


def test_thumbprint_refuses_unknown_key_types() -> None:
    with pytest.raises(ValueError):
        thumbprint({"kty": "RSA", "n": "x", "e": "AQAB"})


def test_public_jwk_shapes() -> None:
    ec_jwk = public_jwk(EC_KEY)
    assert set(ec_jwk) == {"kty", "crv", "x", "y"}
    assert (ec_jwk["kty"], ec_jwk["crv"]) == ("EC", "P-256")
    assert (
        len(b64u_decode(ec_jwk["x"], Malformed)) == len(b64u_decode(ec_jwk["y"], Malformed)) == 32
    )
    assert public_jwk(EC_KEY.public_key()) == ec_jwk
    ed_jwk = public_jwk(ED_KEY)
    assert ed_jwk == {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(_raw(ED_KEY))}
    assert public_jwk(ED_KEY.public_key()) == ed_jwk


@pytest.mark.parametrize(("scalar", "coordinate"), [(379, "x"), (43, "y")])
def test_public_jwk_pads_short_coordinates(scalar: int, coordinate: str) -> None:
    """Coordinates are always 32 bytes, even when the integer has a leading zero byte."""
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    assert getattr(key.public_key().public_numbers(), coordinate) < 2**248
    jwk = public_jwk(key)
    assert len(b64u_decode(jwk["x"], Malformed)) == len(b64u_decode(jwk["y"], Malformed)) == 32
    assert public_jwk(load_public_jwk(jwk, HolderBindingInvalid)) == jwk


def test_other_curves_are_refused() -> None:
    with pytest.raises(ValueError):
        public_jwk(ec.generate_private_key(ec.SECP384R1()))


def test_alg_for_key() -> None:
    assert alg_for_key(EC_KEY) == alg_for_key(EC_KEY.public_key()) == "ES256"
    assert alg_for_key(ED_KEY) == alg_for_key(ED_KEY.public_key()) == "EdDSA"


@pytest.mark.parametrize("key", [EC_KEY, ED_KEY], ids=["EC", "Ed25519"])
def test_load_public_jwk_round_trip(key: Any) -> None:
    loaded = load_public_jwk(public_jwk(key), HolderBindingInvalid)
    assert public_jwk(loaded) == public_jwk(key)
    # Extra, non-private members are tolerated (kid, alg, use).
    assert load_public_jwk({**public_jwk(key), "kid": "k", "use": "sig"}, HolderBindingInvalid)


def _ec(**changes: Any) -> dict[str, Any]:
    return {**public_jwk(EC_KEY), **changes}


INVALID_JWKS: dict[str, Any] = {
    "not an object": "jwk",
    "list": [public_jwk(EC_KEY)],
    "empty": {},
    "private d (EC)": _ec(d=b64u_encode(bytes(32))),
    "private d (OKP)": {**public_jwk(ED_KEY), "d": b64u_encode(bytes(32))},
    "kty RSA": {"kty": "RSA", "n": "sXch", "e": "AQAB"},
    "kty oct": {"kty": "oct", "k": "c2VjcmV0"},
    "P-384": _ec(crv="P-384"),
    "secp256k1": _ec(crv="secp256k1"),
    "X25519": {**public_jwk(ED_KEY), "crv": "X25519"},
    "Ed448": {**public_jwk(ED_KEY), "crv": "Ed448"},
    "EC missing y": {k: v for k, v in public_jwk(EC_KEY).items() if k != "y"},
    "EC x not a string": _ec(x=1),
    "EC x 31 bytes": _ec(x=b64u_encode(bytes(31))),
    "EC x 33 bytes": _ec(x=b64u_encode(bytes(33))),
    "EC padded x": _ec(x=public_jwk(EC_KEY)["x"] + "="),
    "EC point off the curve": _ec(y=b64u_encode((7).to_bytes(32, "big"))),
    "EC coordinate >= p": _ec(x=b64u_encode(b"\xff" * 32)),
    "OKP with y": {**public_jwk(ED_KEY), "y": public_jwk(EC_KEY)["y"]},
    "OKP x missing": {"kty": "OKP", "crv": "Ed25519"},
    "OKP x 31 bytes": {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(bytes(31))},
    "OKP x not canonical b64": {"kty": "OKP", "crv": "Ed25519", "x": public_jwk(ED_KEY)["x"] + "="},
    **{
        f"weak {raw[:8]}..{raw[-2:]}": {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64u_encode(bytes.fromhex(raw)),
        }
        for raw in WEAK_ED25519
    },
}


@pytest.mark.parametrize("jwk", INVALID_JWKS.values(), ids=INVALID_JWKS.keys())
def test_invalid_jwks_are_refused_with_the_callers_error(jwk: Any) -> None:
    with pytest.raises(HolderBindingInvalid):
        load_public_jwk(jwk, HolderBindingInvalid)


@pytest.mark.parametrize("raw", WEAK_ED25519)
def test_small_order_and_non_canonical_points_are_weak(raw: str) -> None:
    assert ed25519_is_weak(bytes.fromhex(raw))


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_length_is_weak(length: int) -> None:
    assert ed25519_is_weak(bytes(length))


@settings(deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_honest_ed25519_keys_are_not_weak(seed: bytes) -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    assert not ed25519_is_weak(_raw(key))
    assert public_jwk(load_public_jwk(public_jwk(key), HolderBindingInvalid)) == public_jwk(key)


def test_base_point_is_not_weak() -> None:
    base = bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")
    assert not ed25519_is_weak(base)


def test_non_canonical_p256_coordinate_is_refused() -> None:
    """x + p names the same point to OpenSSL; accepting it would give one key two encodings.

    A point with a tiny x exists (P-256 has cofactor 1, so every curve point is a valid key):
    find the smallest x whose right-hand side is a square, take its root (p = 3 mod 4).
    """
    from wire.encoding import b64u_encode as _enc
    from wire.errors import HolderBindingInvalid as _Invalid
    from wire.jwk import load_public_jwk as _load

    p = 2**256 - 2**224 + 2**192 + 2**96 - 1
    b = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
    x = 0
    while True:
        rhs = (x**3 - 3 * x + b) % p
        y = pow(rhs, (p + 1) // 4, p)
        if y * y % p == rhs:
            break
        x += 1
    good = {"kty": "EC", "crv": "P-256", "x": _enc(x.to_bytes(32, "big")),
            "y": _enc(y.to_bytes(32, "big"))}  # fmt: skip
    _load(good, _Invalid)  # the canonical encoding is a valid key
    bad = dict(good, x=_enc((x + p).to_bytes(32, "big")))
    with pytest.raises(_Invalid):
        _load(bad, _Invalid)
