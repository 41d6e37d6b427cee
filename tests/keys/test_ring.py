"""keys.ring: the immutable key ring (CONVENTIONS §7) and the pinned public surface of keys."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import keys
from keys import FileKeyStore, KeyRing, MemoryKeyStore, RingKey, generate_private_key
from keys.generate import KEY_ALGS, KeyAlg
from keys.store import KeyStore
from wire.errors import ConfigurationError, Malformed
from wire.jwk import public_jwk, thumbprint
from wire.jws import parse_compact, verify_signature
from wire.trust import load_jwks

PASSPHRASE = b"test-only ring passphrase"


def verifies(ring: KeyRing, token: str) -> bool:
    """Verify like a verifier: by the header kid, with a key the ring still holds."""
    jws = parse_compact(token, Malformed)
    key = ring.public_key(jws.header["kid"])
    return key is not None and verify_signature(jws, key, jws.header["alg"])


def test_public_surface_is_pinned() -> None:
    assert set(keys.__all__) == {
        "KEY_ALGS",
        "TRUST_LIST_TYP",
        "AnchorKeys",
        "FileKeyStore",
        "KeyAlg",
        "KeyRing",
        "KeySettings",
        "KeyStore",
        "MemoryKeyStore",
        "RingKey",
        "RingManifest",
        "build_trust_list",
        "generate_private_key",
        "load_trust_list_file",
        "read_jwks_file",
        "sign_trust_list",
        "verify_trust_list",
        "write_jwks_file",
    }
    assert len(keys.__all__) == len(set(keys.__all__))
    for name in keys.__all__:
        assert hasattr(keys, name)


@pytest.mark.parametrize("alg", KEY_ALGS)
def test_generate_and_sign(alg: KeyAlg) -> None:
    ring = KeyRing.generate(alg)
    assert ring.active_kid == thumbprint(public_jwk(ring.active_key))
    assert ring.active_alg == alg
    token = ring.sign({"typ": "example+jwt"}, {"sub": "x"})
    jws = parse_compact(token, Malformed)
    assert jws.header == {"alg": alg, "typ": "example+jwt", "kid": ring.active_kid}
    assert jws.payload == {"sub": "x"}
    assert verifies(ring, token)


@pytest.mark.parametrize("member", ["alg", "kid", "jwk", "x5c"])
def test_sign_refuses_header_members_the_ring_owns(member: str) -> None:
    with pytest.raises(ValueError, match="header"):
        KeyRing.generate("EdDSA").sign({member: "x"}, {})


def test_rotate_keeps_old_keys_verifiable_and_activates_the_new_one() -> None:
    ring = KeyRing.generate()
    old_kid = ring.active_kid
    old_token = ring.sign({}, {"n": 1})
    rotated = ring.rotate(generate_private_key("EdDSA"))
    assert rotated.active_kid != old_kid
    assert rotated.kids == (rotated.active_kid, old_kid)
    assert rotated.active_alg == "EdDSA"
    assert verifies(rotated, old_token)
    new_token = rotated.sign({}, {"n": 2})
    assert parse_compact(new_token, Malformed).header["kid"] == rotated.active_kid
    assert verifies(rotated, new_token)
    # The original ring is untouched: rings are values.
    assert ring.kids == (old_kid,)
    assert not verifies(ring, new_token)


def test_rotate_refuses_a_key_already_in_the_ring() -> None:
    ring = KeyRing.generate()
    with pytest.raises(ConfigurationError):
        ring.rotate(ring.active_key)


def test_retire_removes_an_old_key() -> None:
    ring = KeyRing.generate()
    old_kid = ring.active_kid
    old_token = ring.sign({}, {})
    retired = ring.rotate(generate_private_key()).retire(old_kid)
    assert old_kid not in retired.kids
    assert retired.public_key(old_kid) is None
    assert not verifies(retired, old_token)


def test_retire_refuses_the_active_key_and_unknown_kids() -> None:
    ring = KeyRing.generate().rotate(generate_private_key())
    with pytest.raises(ConfigurationError, match="active"):
        ring.retire(ring.active_kid)
    with pytest.raises(ConfigurationError):
        ring.retire(thumbprint(public_jwk(generate_private_key())))


def test_jwks_has_public_keys_only() -> None:
    ring = KeyRing.generate("ES256").rotate(generate_private_key("EdDSA"))
    jwks = ring.jwks()
    assert [jwk["kid"] for jwk in jwks["keys"]] == list(ring.kids)
    for jwk in jwks["keys"]:
        assert "d" not in jwk
        assert jwk["use"] == "sig"
        assert jwk["alg"] == ("ES256" if jwk["kty"] == "EC" else "EdDSA")
        assert jwk["kid"] == thumbprint(jwk)
    assert set(load_jwks(jwks)) == set(ring.kids)


def test_ring_is_immutable_and_repr_hides_keys() -> None:
    ring = KeyRing.generate()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ring.entries = ()  # type: ignore[misc]
    assert "private" not in repr(ring).lower()
    assert ring.active_kid in repr(ring)


def test_invalid_rings_are_refused() -> None:
    key = generate_private_key()
    with pytest.raises(ConfigurationError):
        KeyRing(())
    with pytest.raises(ConfigurationError):
        KeyRing((RingKey.of(key), RingKey.of(key)))
    with pytest.raises(ConfigurationError):
        RingKey(thumbprint(public_jwk(generate_private_key())), key)


@pytest.mark.parametrize("make_store", ["memory", "file"])
def test_save_and_load_preserve_order_and_drop_retired_files(
    tmp_path: Path, make_store: str
) -> None:
    store: KeyStore = (
        MemoryKeyStore() if make_store == "memory" else FileKeyStore(tmp_path, PASSPHRASE)
    )
    ring = KeyRing.generate().rotate(generate_private_key("EdDSA"))
    ring = ring.rotate(generate_private_key())
    ring.save(store)
    loaded = KeyRing.load(store)
    assert loaded.kids == ring.kids
    assert loaded.jwks() == ring.jwks()
    token = loaded.sign({}, {"x": 1})
    assert verifies(ring, token)

    oldest = ring.kids[-1]
    ring.retire(oldest).save(store)
    assert oldest not in store.list_kids()
    assert KeyRing.load(store).kids == ring.kids[:-1]


def test_load_without_a_ring_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="permit keys generate"):
        KeyRing.load(FileKeyStore(tmp_path, PASSPHRASE))


def test_saving_with_a_new_passphrase_re_encrypts(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    ring.save(FileKeyStore(tmp_path, PASSPHRASE))
    KeyRing.load(FileKeyStore(tmp_path, PASSPHRASE)).save(FileKeyStore(tmp_path, b"new one"))
    assert KeyRing.load(FileKeyStore(tmp_path, b"new one")).kids == ring.kids
    with pytest.raises(ConfigurationError):
        KeyRing.load(FileKeyStore(tmp_path, PASSPHRASE))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["rotate", "retire-oldest"]), max_size=8))
def test_rotation_sequences_keep_the_ring_invariants(operations: list[str]) -> None:
    ring = KeyRing.generate("EdDSA")
    tokens = {ring.active_kid: ring.sign({}, {})}
    retired: set[str] = set()
    for operation in operations:
        if operation == "rotate":
            ring = ring.rotate(generate_private_key("EdDSA"))
            tokens[ring.active_kid] = ring.sign({}, {})
        elif len(ring.kids) > 1:
            retired.add(ring.kids[-1])
            ring = ring.retire(ring.kids[-1])
        assert ring.entries[0].kid == ring.active_kid
        assert len(set(ring.kids)) == len(ring.kids)
    for kid, token in tokens.items():
        assert verifies(ring, token) == (kid not in retired)
    assert set(tokens) - retired == set(ring.kids)
