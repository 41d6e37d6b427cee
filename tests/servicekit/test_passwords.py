"""Password hashing shared by the issuer and the wallet: Argon2id with the deployment's cost."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher

from servicekit.passwords import Passwords
from servicekit.settings import PasswordSettings

PASSWORD = "correct horse battery staple"


def cheap(**overrides: Any) -> PasswordSettings:
    """Test cost parameters (just parameters: nothing global is switched)."""
    values: dict[str, Any] = {
        "environment": "test",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        **overrides,
    }
    return PasswordSettings.model_validate(values)


def test_hashes_are_argon2id_with_the_configured_cost() -> None:
    stored = Passwords(cheap()).hash(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert "$m=8,t=1,p=1$" in stored


def test_verify_accepts_the_password_and_nothing_else() -> None:
    passwords = Passwords(cheap())
    stored = passwords.hash(PASSWORD)
    assert passwords.verify(stored, PASSWORD)
    assert not passwords.verify(stored, "correct horse battery stable")
    assert not passwords.verify(stored, "")


def test_a_missing_or_broken_hash_never_matches() -> None:
    passwords = Passwords(cheap())
    assert not passwords.verify(None, PASSWORD)
    assert not passwords.verify("", PASSWORD)
    assert not passwords.verify("", "")
    assert not passwords.verify("not-a-hash", PASSWORD)
    assert not passwords.verify("$argon2id$v=19$m=8,t=1,p=1$broken", PASSWORD)


def test_an_unknown_user_costs_one_argon2_run_like_a_known_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counted, not timed: both paths verify one Argon2 hash made with the same parameters."""
    passwords = Passwords(cheap())
    stored = passwords.hash(PASSWORD)
    checked: list[str] = []
    real_verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        checked.append(hash if isinstance(hash, str) else hash.decode())
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    assert not passwords.verify(stored, "wrong password")
    assert not passwords.verify(None, "wrong password")
    assert not passwords.verify(None, PASSWORD)
    assert len(checked) == 3
    known, unknown, unknown_again = checked
    assert unknown == unknown_again != known
    assert unknown.split("$")[:4] == known.split("$")[:4]  # argon2id, version, m/t/p


def test_needs_rehash_when_the_cost_changes_or_the_hash_is_not_argon2() -> None:
    current = Passwords(cheap())
    stored = current.hash(PASSWORD)
    assert not current.needs_rehash(stored)
    stronger = Passwords(cheap(argon2_time_cost=2))
    assert stronger.needs_rehash(stored)
    assert stronger.verify(stored, PASSWORD)  # old hashes still log in until rehashed
    assert current.needs_rehash("not-a-hash")


def test_the_services_use_this_one_class() -> None:
    from issuer.security import Passwords as IssuerPasswords
    from wallet_api.services.accounts import Passwords as WalletPasswords

    assert IssuerPasswords is Passwords
    assert WalletPasswords is Passwords
