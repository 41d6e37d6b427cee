"""keys.store (encrypted PKCS#8 files, manifest, JWKS files) and keys.settings."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pydantic import SecretBytes, SecretStr

from keys.generate import KEY_ALGS, KeyAlg, generate_private_key
from keys.settings import KeySettings
from keys.store import (
    MANIFEST_NAME,
    FileKeyStore,
    KeyStore,
    MemoryKeyStore,
    RingManifest,
    read_jwks_file,
    write_jwks_file,
)
from wire.errors import ConfigurationError
from wire.jwk import PrivateKey, public_jwk, thumbprint

PASSPHRASE = b"test-only passphrase, 4 words"


def kid_of(key: PrivateKey) -> str:
    return thumbprint(public_jwk(key))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def store(tmp_path: Path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "ring", PASSPHRASE)


# --- generation -------------------------------------------------------------------------------


def test_generate_private_key_types() -> None:
    es = generate_private_key("ES256")
    assert isinstance(es, ec.EllipticCurvePrivateKey)
    assert isinstance(es.curve, ec.SECP256R1)
    assert isinstance(generate_private_key("EdDSA"), ed25519.Ed25519PrivateKey)
    assert kid_of(generate_private_key()) != kid_of(generate_private_key())


def test_generate_refuses_other_algorithms() -> None:
    with pytest.raises(ConfigurationError):
        generate_private_key("RS256")  # type: ignore[arg-type]


# --- FileKeyStore -----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", KEY_ALGS)
def test_round_trip(store: FileKeyStore, alg: KeyAlg) -> None:
    key = generate_private_key(alg)
    store.save(kid_of(key), key)
    loaded = store.load(kid_of(key))
    assert type(loaded) is type(key)
    assert public_jwk(loaded) == public_jwk(key)


@pytest.mark.parametrize("alg", KEY_ALGS)
def test_file_is_encrypted_pkcs8_with_mode_0600(store: FileKeyStore, alg: KeyAlg) -> None:
    key = generate_private_key(alg)
    kid = kid_of(key)
    store.save(kid, key)
    path = store.directory / f"{kid}.pem"
    data = path.read_bytes()
    assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"-----BEGIN PRIVATE KEY-----" not in data
    body = base64.b64decode(b"".join(data.splitlines()[1:-1]))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        secret = key.private_numbers().private_value.to_bytes(32, "big")
    else:
        secret = key.private_bytes_raw()
    assert secret not in body
    assert mode_of(path) == 0o600
    assert mode_of(store.directory) == 0o700
    # Standard format: any PKCS#8 reader with the passphrase opens it.
    opened = serialization.load_pem_private_key(data, PASSPHRASE)
    assert public_jwk(opened) == public_jwk(key)  # type: ignore[arg-type]


def test_wrong_passphrase_is_refused_without_leaking(tmp_path: Path) -> None:
    key = generate_private_key()
    FileKeyStore(tmp_path, PASSPHRASE).save(kid_of(key), key)
    with pytest.raises(ConfigurationError) as info:
        FileKeyStore(tmp_path, b"another passphrase").load(kid_of(key))
    message = str(info.value)
    assert "passphrase" in message
    assert "another" not in message
    assert kid_of(key) not in message


def test_rewrite_keeps_mode_0600_and_leaves_no_temp_files(store: FileKeyStore) -> None:
    key = generate_private_key()
    kid = kid_of(key)
    store.save(kid, key)
    path = store.directory / f"{kid}.pem"
    path.chmod(0o644)
    store.save(kid, key)
    assert mode_of(path) == 0o600
    assert sorted(p.name for p in store.directory.iterdir()) == [f"{kid}.pem"]


@pytest.mark.parametrize(
    "passphrase", [SecretStr(PASSPHRASE.decode()), SecretBytes(PASSPHRASE), PASSPHRASE]
)
def test_passphrase_forms_are_equivalent(
    tmp_path: Path, passphrase: SecretStr | SecretBytes | bytes
) -> None:
    key = generate_private_key()
    FileKeyStore(tmp_path, passphrase).save(kid_of(key), key)
    assert public_jwk(FileKeyStore(tmp_path, PASSPHRASE).load(kid_of(key))) == public_jwk(key)


@pytest.mark.parametrize("passphrase", [b"", SecretStr(""), SecretBytes(b"")])
def test_empty_passphrase_is_refused(
    tmp_path: Path, passphrase: SecretStr | SecretBytes | bytes
) -> None:
    with pytest.raises(ConfigurationError):
        FileKeyStore(tmp_path, passphrase)


def test_repr_shows_no_secret(store: FileKeyStore) -> None:
    assert PASSPHRASE.decode() not in repr(store)
    assert "passphrase" not in repr(store).lower()


def test_unencrypted_key_file_is_refused(store: FileKeyStore) -> None:
    key = generate_private_key()
    kid = kid_of(key)
    store.directory.mkdir(parents=True)
    (store.directory / f"{kid}.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigurationError, match="not an encrypted"):
        store.load(kid)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + b"A" * 70_000,
    ],
)
def test_damaged_file_is_refused(store: FileKeyStore, content: bytes) -> None:
    kid = kid_of(generate_private_key())
    store.directory.mkdir(parents=True)
    (store.directory / f"{kid}.pem").write_bytes(content)
    with pytest.raises(ConfigurationError):
        store.load(kid)


def test_unsupported_key_type_is_refused(store: FileKeyStore) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    store.directory.mkdir(parents=True)
    kid = "p384"
    (store.directory / f"{kid}.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE),
        )
    )
    with pytest.raises(ConfigurationError, match="unsupported key type"):
        store.load(kid)


def test_file_holding_another_key_is_refused(store: FileKeyStore) -> None:
    key, other = generate_private_key(), generate_private_key()
    store.save(kid_of(key), key)
    (store.directory / f"{kid_of(key)}.pem").rename(store.directory / f"{kid_of(other)}.pem")
    with pytest.raises(ConfigurationError, match="does not hold"):
        store.load(kid_of(other))


def test_save_refuses_a_kid_that_is_not_the_thumbprint(store: FileKeyStore) -> None:
    key = generate_private_key()
    with pytest.raises(ConfigurationError):
        store.save(kid_of(generate_private_key()), key)


@pytest.mark.parametrize("kid", ["../escape", "a/b", "", "x.pem", "kid\x00", "k" * 129])
def test_kids_cannot_become_paths(store: FileKeyStore, tmp_path: Path, kid: str) -> None:
    with pytest.raises(ConfigurationError):
        store.load(kid)
    with pytest.raises(ConfigurationError):
        store.delete(kid)
    assert not (tmp_path / "escape.pem").exists()


def test_missing_key_is_a_configuration_error(store: FileKeyStore) -> None:
    with pytest.raises(ConfigurationError, match="missing"):
        store.load(kid_of(generate_private_key()))


def test_list_and_delete(store: FileKeyStore) -> None:
    assert store.list_kids() == []
    keys = [generate_private_key() for _ in range(3)]
    for key in keys:
        store.save(kid_of(key), key)
    (store.directory / "notes.txt").write_text("x")
    (store.directory / "bad name.pem").write_text("x")
    assert store.list_kids() == sorted(kid_of(key) for key in keys)
    store.delete(kid_of(keys[0]))
    store.delete(kid_of(keys[0]))  # idempotent
    assert store.list_kids() == sorted(kid_of(key) for key in keys[1:])


# --- manifest ---------------------------------------------------------------------------------


def test_manifest_round_trip(store: FileKeyStore) -> None:
    assert store.load_manifest() is None
    manifest = RingManifest(("a", "b"))
    store.save_manifest(manifest)
    assert store.load_manifest() == manifest
    assert manifest.active_kid == "a"
    path = store.directory / MANIFEST_NAME
    assert json.loads(path.read_text()) == {"version": 1, "active": "a", "kids": ["a", "b"]}
    assert mode_of(path) == 0o600


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"version": 1, "active": "a", "kids": ["a"], "kids": ["a"]}',
        b'{"version": 2, "active": "a", "kids": ["a"]}',
        b'{"version": true, "active": "a", "kids": ["a"]}',
        b'{"version": 1, "active": "b", "kids": ["a", "b"]}',
        b'{"version": 1, "active": "a", "kids": ["a", "a"]}',
        b'{"version": 1, "active": "a", "kids": []}',
        b'{"version": 1, "active": "../x", "kids": ["../x"]}',
        b'{"version": 1, "active": "a", "kids": ["a"], "extra": 1}',
        b'{"version": 1, "active": 1, "kids": [1]}',
    ],
)
def test_invalid_manifest_is_refused(store: FileKeyStore, content: bytes) -> None:
    store.directory.mkdir(parents=True)
    (store.directory / MANIFEST_NAME).write_bytes(content)
    with pytest.raises(ConfigurationError):
        store.load_manifest()


# --- MemoryKeyStore ---------------------------------------------------------------------------


def test_memory_store_satisfies_the_protocol() -> None:
    memory: KeyStore = MemoryKeyStore()
    key = generate_private_key("EdDSA")
    memory.save(kid_of(key), key)
    assert memory.load(kid_of(key)) is key
    assert memory.list_kids() == [kid_of(key)]
    with pytest.raises(ConfigurationError):
        memory.save(kid_of(generate_private_key()), key)
    memory.delete(kid_of(key))
    with pytest.raises(ConfigurationError):
        memory.load(kid_of(key))
    assert memory.load_manifest() is None


# --- JWKS files -------------------------------------------------------------------------------


def test_jwks_file_round_trip(tmp_path: Path) -> None:
    key = generate_private_key()
    jwks = {"keys": [{**public_jwk(key), "kid": kid_of(key), "alg": "ES256", "use": "sig"}]}
    path = tmp_path / "jwks.json"
    write_jwks_file(path, jwks)
    assert read_jwks_file(path) == jwks
    assert mode_of(path) == 0o644


def test_write_jwks_refuses_private_members(tmp_path: Path) -> None:
    key = generate_private_key()
    jwks = {"keys": [{**public_jwk(key), "kid": kid_of(key), "d": "AAAA"}]}
    with pytest.raises(ConfigurationError):
        write_jwks_file(tmp_path / "jwks.json", jwks)
    assert not (tmp_path / "jwks.json").exists()


@pytest.mark.parametrize(
    "content",
    [b'{"keys": [], "keys": []}', b"[]", b'{"keys": []}', b"\xff", b" " * (1024 * 1024 + 1)],
)
def test_read_jwks_refuses_invalid_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(content)
    with pytest.raises(ConfigurationError):
        read_jwks_file(path)


def test_read_jwks_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        read_jwks_file(tmp_path / "absent.json")


# --- KeySettings ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEY_DIR", "KEY_PASSPHRASE", "KEY_PASSPHRASE_FILE", "ENVIRONMENT"):
        monkeypatch.delenv(f"PERMIT_{name}", raising=False)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERMIT_KEY_DIR", str(tmp_path))
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "from the environment")
    settings = KeySettings.load()
    assert settings.key_dir == tmp_path
    assert settings.environment == "development"
    assert settings.passphrase() == b"from the environment"
    assert "from the environment" not in repr(settings)
    assert "from the environment" not in str(settings.model_dump())


def test_explicit_values_override_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERMIT_KEY_DIR", "/elsewhere")
    settings = KeySettings.load(key_dir=tmp_path, key_passphrase_file=None)
    assert settings.key_dir == tmp_path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"file passphrase\n", b"file passphrase"),
        (b"file passphrase\r\n", b"file passphrase"),
        (b"file passphrase\n\n", b"file passphrase\n"),
        (b"file passphrase", b"file passphrase"),
        (b" spaced \n", b" spaced "),
    ],
)
def test_passphrase_file_wins_and_loses_one_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: bytes, expected: bytes
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_bytes(content)
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "from the environment")
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE_FILE", str(secret))
    assert KeySettings.load(key_dir=tmp_path).passphrase() == expected


@pytest.mark.parametrize("content", [b"", b"\n", b"\r\n"])
def test_empty_passphrase_file_is_refused(tmp_path: Path, content: bytes) -> None:
    secret = tmp_path / "passphrase"
    secret.write_bytes(content)
    settings = KeySettings.load(key_dir=tmp_path, key_passphrase_file=secret)
    with pytest.raises(ConfigurationError, match="empty"):
        settings.passphrase()


def test_unreadable_passphrase_file_is_refused(tmp_path: Path) -> None:
    settings = KeySettings.load(key_dir=tmp_path, key_passphrase_file=tmp_path / "absent")
    with pytest.raises(ConfigurationError, match="cannot be read"):
        settings.passphrase()


def test_missing_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="PERMIT_KEY_PASSPHRASE"):
        KeySettings.load(key_dir=tmp_path).passphrase()


def test_empty_passphrase_variable_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "")
    with pytest.raises(ConfigurationError, match="empty"):
        KeySettings.load(key_dir=tmp_path).passphrase()


@pytest.mark.parametrize("placeholder", ["changethis", "change-me", "dev-passphrase", "ChangeMe"])
@pytest.mark.parametrize("environment", ["test", "production"])
def test_placeholders_are_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, placeholder: str, environment: str
) -> None:
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", placeholder)
    monkeypatch.setenv("PERMIT_ENVIRONMENT", environment)
    with pytest.raises(ConfigurationError, match="placeholder") as info:
        KeySettings.load(key_dir=tmp_path).passphrase()
    assert placeholder not in str(info.value)


def test_placeholders_are_accepted_in_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "changethis")
    assert KeySettings.load(key_dir=tmp_path).passphrase() == b"changethis"


def test_production_requires_a_long_passphrase(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERMIT_ENVIRONMENT", "production")
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "short but real")
    with pytest.raises(ConfigurationError, match="at least"):
        KeySettings.load(key_dir=tmp_path).passphrase()
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "a long production passphrase")
    assert KeySettings.load(key_dir=tmp_path).passphrase() == b"a long production passphrase"


def test_invalid_settings_name_the_field_not_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PERMIT_ENVIRONMENT", "staging-secret-value")
    with pytest.raises(ConfigurationError) as info:
        KeySettings.load(key_dir=tmp_path)
    assert "PERMIT_ENVIRONMENT" in str(info.value)
    assert "staging-secret-value" not in str(info.value)


def test_missing_key_dir_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="PERMIT_KEY_DIR"):
        KeySettings.load()
