"""Settings (PERMIT_VERIFIER_*) and the accounts file: refuse what cannot work or is unsafe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.service.conftest import PROFILES, Federation
from verifier.service.accounts import AccountDirectory, hash_key, new_account_key
from verifier.service.settings import VerifierSettings
from wire.errors import ConfigurationError

BASE: dict[str, Any] = {
    "trust_list_path": "/etc/permit/trust-list.jwt",
    "trust_anchor_path": "/etc/permit/anchor.jwk",
    "accounts_path": "/etc/permit/accounts.json",
    "redis_url": None,
}


def load(**overrides: Any) -> VerifierSettings:
    return VerifierSettings.load(**{**BASE, **overrides})


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMIT_VERIFIER_TRUST_LIST_PATH", "/srv/trust.jwt")
    monkeypatch.setenv("PERMIT_VERIFIER_OPEN_PROFILES", '["landlord"]')
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.setenv("PERMIT_VERIFIER_PUBLIC_BASE_URL", "https://verify.bank.example/")
    settings = VerifierSettings.load()
    assert settings.trust_list_path == Path("/srv/trust.jwt")
    assert settings.open_profiles == ("landlord",)
    assert settings.redis_url == "redis://cache.internal:6379/2"
    assert settings.base_url == "https://verify.bank.example"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"trust_list_path": None}, "exactly one of trust_list_path"),
        ({"trust_list_url": "https://fed.example/list.jwt"}, "exactly one of trust_list_path"),
        (
            {
                "trust_list_path": None,
                "trust_list_url": "https://f.example/l",
                "trust_anchor_path": None,
            },
            "must be signed",
        ),
        ({"offline": True}, "status_cache_dir"),
        ({"accounts_path": None}, "nobody could verify"),
        ({"redis_url": "http://127.0.0.1:6379"}, "redis_url"),
        ({"public_base_url": "ftp://x.example"}, "public_base_url"),
        ({"public_base_url": "https://x.example/?a=1"}, "public_base_url"),
        ({"request_ttl_seconds": 5}, "request_ttl_seconds"),
    ],
)
def test_unusable_settings_are_refused(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        load(**overrides)


def test_production_refuses_development_shortcuts() -> None:
    production = {"environment": "production", "public_base_url": "https://verify.example"}
    assert load(**production).environment == "production"
    with pytest.raises(ConfigurationError, match="allow_insecure_loopback"):
        load(**production, allow_insecure_loopback=True)
    with pytest.raises(ConfigurationError, match="trust_anchor_path"):
        load(**production, trust_anchor_path=None)
    with pytest.raises(ConfigurationError, match="https"):
        load(environment="production", public_base_url="http://verify.example")


def test_errors_never_echo_values() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(redis_url="http://user:hunter2@cache:6379")
    assert "hunter2" not in caught.value.message


def test_open_profiles_must_exist_and_not_be_verifier_bound(federation: Federation) -> None:
    with pytest.raises(ConfigurationError, match="not a configured profile"):
        federation.app(open_profiles=("tenant",))
    with pytest.raises(ConfigurationError, match="verifier-bound"):
        federation.app(open_profiles=("bank",))


def _accounts(entries: Any) -> Any:
    return {"version": 1, "accounts": entries}


def _entry(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "landlord-wang",
        "name": "王先生",
        "profile": "landlord",
        "key_sha256": hash_key(new_account_key()),
        **overrides,
    }


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"version": 2, "accounts": []}, "version"),
        (_accounts({}), "must be an array"),
        (_accounts([_entry(extra=1)]), "members"),
        (_accounts([_entry(id="Upper Case")]), r"accounts\[0\].id"),
        (_accounts([_entry(name=" ")]), r"accounts\[0\].name"),
        (_accounts([_entry(profile="tenant")]), r"accounts\[0\].profile"),
        (_accounts([_entry(key_sha256="abc")]), r"accounts\[0\].key_sha256"),
        (_accounts([_entry(), _entry(id="other")]), "share a key"),
        (_accounts([_entry(), _entry()]), "duplicate account id"),
    ],
)
def test_invalid_accounts_files_are_refused(tmp_path: Path, document: Any, problem: str) -> None:
    if problem == "share a key":
        document["accounts"][1]["key_sha256"] = document["accounts"][0]["key_sha256"]
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigurationError, match=problem):
        AccountDirectory.load(path, PROFILES)


def test_account_keys(tmp_path: Path) -> None:
    key = new_account_key()
    assert key.startswith("pvk_")
    assert len(key) == 47
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(_accounts([_entry(key_sha256=hash_key(key))])))
    directory = AccountDirectory.load(path, PROFILES)
    account = directory.find(key)
    assert account is not None
    assert account.profile == "landlord"
    assert directory.find(key + "x") is None
    assert directory.find("not-a-key") is None
    assert "王先生" not in repr(hash_key(key))
    with pytest.raises(ConfigurationError, match="cannot be read"):
        AccountDirectory.load(tmp_path / "missing.json", PROFILES)
