"""Compact JWS (RFC 7515 §7.1): strict parsing, signing and fixed-length signature checks."""

from __future__ import annotations

from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from wire.encoding import b64u_encode, json_dumps
from wire.errors import HolderBindingInvalid, Malformed, VerificationError
from wire.jws import ALGORITHMS, parse_compact, sign_compact, verify_signature

EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
PAYLOAD = {"iss": "https://permits.sh.example/issuer", "名": "张三"}


def test_algorithms() -> None:
    assert frozenset({"ES256", "EdDSA"}) == ALGORITHMS


@pytest.mark.parametrize(("key", "alg"), [(EC_KEY, "ES256"), (ED_KEY, "EdDSA")])
def test_sign_parse_verify(key: Any, alg: str) -> None:
    token = sign_compact({"typ": "x", "alg": "ignored", "kid": "k"}, PAYLOAD, key)
    jws = parse_compact(token, Malformed)
    assert list(jws.header) == ["alg", "typ", "kid"]  # alg comes from the key, first
    assert jws.header["alg"] == alg
    assert jws.payload == PAYLOAD
    assert jws.signing_input == token.rsplit(".", 1)[0].encode()
    assert len(jws.signature) == 64
    assert verify_signature(jws, key.public_key(), alg)


@pytest.mark.parametrize(("key", "alg"), [(EC_KEY, "ES256"), (ED_KEY, "EdDSA")])
def test_tokens_verify_with_pyjwt(key: Any, alg: str) -> None:
    """Interoperability: a general JWT library accepts what sign_compact produces."""
    token = sign_compact({"typ": "JWT"}, {"sub": "张三"}, key)
    assert pyjwt.decode(token, key.public_key(), algorithms=[alg]) == {"sub": "张三"}


def test_pyjwt_tokens_verify_here() -> None:
    token = pyjwt.encode({"sub": "x"}, EC_KEY, algorithm="ES256")
    jws = parse_compact(token, Malformed)
    assert verify_signature(jws, EC_KEY.public_key(), "ES256")


@pytest.mark.parametrize(
    "token",
    ["", "a", "a.b", "a.b.c.d", "..", "e30..AA", ".e30.AA", "e30.e30.", "e30.e30.AA=", "e30.e30.A"],
)
@pytest.mark.parametrize("error", [Malformed, HolderBindingInvalid])
def test_parse_refuses_broken_structure(token: str, error: type[VerificationError]) -> None:
    with pytest.raises(error):
        parse_compact(token, error)


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (b"[]", b"{}"),
        (b"{}", b"[]"),
        (b'{"alg":"ES256","alg":"none"}', b"{}"),
        (b"{}", b'{"exp":1,"exp":2}'),
        (b"{}", b'{"a":NaN}'),
        (b"{}", b"\xff"),
        (b"{}", b"[" * 40 + b"]" * 40),
    ],
)
def test_parse_refuses_bad_json(header: bytes, payload: bytes) -> None:
    token = f"{b64u_encode(header)}.{b64u_encode(payload)}.AA"
    with pytest.raises(Malformed):
        parse_compact(token, Malformed)


def test_parse_max_depth_is_configurable() -> None:
    token = f"e30.{b64u_encode(json_dumps({'a': [[[1]]]}))}.AA"
    assert parse_compact(token, Malformed, max_depth=4).payload == {"a": [[[1]]]}
    with pytest.raises(Malformed):
        parse_compact(token, Malformed, max_depth=3)


def _resigned(token: str, signature: bytes) -> Any:
    head, body, _ = token.split(".")
    return parse_compact(f"{head}.{body}.{b64u_encode(signature)}", Malformed)


def test_es256_signature_forms() -> None:
    token = sign_compact({}, PAYLOAD, EC_KEY)
    jws = parse_compact(token, Malformed)
    r, s = int.from_bytes(jws.signature[:32], "big"), int.from_bytes(jws.signature[32:], "big")
    der = EC_KEY.sign(jws.signing_input, ec.ECDSA(hashes.SHA256()))
    bad = {
        "DER": der,
        "r=s=0": bytes(64),
        "r=0": bytes(32) + s.to_bytes(32, "big"),
        "s=0": r.to_bytes(32, "big") + bytes(32),
        "r=n": P256_ORDER.to_bytes(32, "big") + s.to_bytes(32, "big"),
        "s+n overflow": r.to_bytes(32, "big") + (s + P256_ORDER).to_bytes(33, "big"),
        "63 bytes": jws.signature[:63],
        "65 bytes": jws.signature + b"\x00",
        "flipped bit": jws.signature[:-1] + bytes([jws.signature[-1] ^ 1]),
    }
    for name, signature in bad.items():
        assert not verify_signature(_resigned(token, signature), EC_KEY.public_key(), "ES256"), name


def test_key_type_must_match_alg() -> None:
    ec_jws = parse_compact(sign_compact({}, PAYLOAD, EC_KEY), Malformed)
    ed_jws = parse_compact(sign_compact({}, PAYLOAD, ED_KEY), Malformed)
    assert not verify_signature(ec_jws, EC_KEY.public_key(), "EdDSA")
    assert not verify_signature(ed_jws, ED_KEY.public_key(), "ES256")
    assert not verify_signature(ed_jws, EC_KEY.public_key(), "ES256")
    assert not verify_signature(ec_jws, ED_KEY.public_key(), "EdDSA")
    assert not verify_signature(ec_jws, EC_KEY.public_key(), "none")
    assert not verify_signature(ec_jws, EC_KEY.public_key(), "es256")


def test_signature_by_another_key_or_over_other_data() -> None:
    other = ed25519.Ed25519PrivateKey.generate()
    jws = parse_compact(sign_compact({}, PAYLOAD, ED_KEY), Malformed)
    assert not verify_signature(jws, other.public_key(), "EdDSA")
    forged = parse_compact(sign_compact({}, {**PAYLOAD, "x": 1}, ED_KEY), Malformed)
    swapped = parse_compact(
        f"{jws.signing_input.decode()}.{b64u_encode(forged.signature)}", Malformed
    )
    assert not verify_signature(swapped, ED_KEY.public_key(), "EdDSA")


def test_signing_refuses_other_curves() -> None:
    with pytest.raises(ValueError):
        sign_compact({}, {}, ec.generate_private_key(ec.SECP384R1()))
