"""The issuer's key ring: encrypted files in production, an ephemeral key only in dev/test."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuer.signing import load_signing_ring
from keys.ring import KeyRing
from keys.store import FileKeyStore
from tests.issuer.conftest import make_settings
from wire.errors import ConfigurationError


def test_ring_from_an_encrypted_key_directory(tmp_path: Path) -> None:
    ring = KeyRing.generate("EdDSA")
    ring.save(FileKeyStore(tmp_path / "keys", b"correct horse battery staple"))
    settings = make_settings(
        "sqlite://", key_dir=tmp_path / "keys", key_passphrase="correct horse battery staple"
    )
    assert load_signing_ring(settings).kids == ring.kids


def test_wrong_passphrase_or_missing_ring_refused(tmp_path: Path) -> None:
    KeyRing.generate().save(FileKeyStore(tmp_path / "keys", b"correct horse battery staple"))
    wrong = make_settings("sqlite://", key_dir=tmp_path / "keys", key_passphrase="nope nope nope")
    with pytest.raises(ConfigurationError):
        load_signing_ring(wrong)
    empty = make_settings("sqlite://", key_dir=tmp_path / "none", key_passphrase="x" * 20)
    with pytest.raises(ConfigurationError):
        load_signing_ring(empty)


def test_ephemeral_key_in_test_environment() -> None:
    first = load_signing_ring(make_settings("sqlite://"))
    second = load_signing_ring(make_settings("sqlite://"))
    assert first.active_kid != second.active_kid


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"key_dir": None}, "key_dir is required"),
        ({"offer_secret": "changethis-" + "x" * 40}, "offer_secret is a placeholder"),
        ({"offer_secret": "short"}, "offer_secret must have at least 32 bytes"),
    ],
)
def test_production_refuses_ephemeral_keys_and_placeholder_offer_secret(
    override: dict[str, object], problem: str
) -> None:
    from issuer.settings import IssuerSettings
    from tests.issuer.test_settings import PRODUCTION

    with pytest.raises(ConfigurationError) as caught:
        IssuerSettings.load(**{**PRODUCTION, **override})
    assert problem in caught.value.message


def test_every_served_jurisdiction_needs_an_authority() -> None:
    from issuer.settings import IssuerSettings

    with pytest.raises(ConfigurationError) as caught:
        IssuerSettings.load(jurisdictions=["shanghai"], authorities={"chengdu": "成都市公安局"})
    assert "authorities" in caught.value.message
