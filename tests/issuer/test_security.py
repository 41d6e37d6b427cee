"""Passwords (Argon2id), TOTP with replay protection, officer session JWTs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt
import pyotp
import pytest

from issuer.security import (
    OFFICER_TOKEN_AUDIENCE,
    TOTP_PERIOD,
    Passwords,
    decode_officer_token,
    encode_officer_token,
    new_totp_secret,
    totp_provisioning_uri,
    verify_totp,
)
from issuer.settings import IssuerSettings
from tests.clock import START, FakeClock
from tests.issuer.conftest import TEST_JWT_SECRET, make_settings
from wire.errors import AuthenticationRequired


@pytest.fixture
def settings() -> IssuerSettings:
    return make_settings("sqlite:///unused.db")


def token(settings: IssuerSettings, *, mfa: bool = True, **overrides: Any) -> str:
    return encode_officer_token(
        settings=settings,
        officer_id=overrides.pop("officer_id", uuid.UUID(int=7)),
        role="supervisor",
        jurisdiction="shanghai",
        token_version=3,
        mfa=mfa,
        now=overrides.pop("now", START),
    )


def forge(
    claims: dict[str, Any], *, key: str = TEST_JWT_SECRET, typ: str = "at+jwt", alg: str = "HS256"
) -> str:
    base: dict[str, Any] = {
        "iss": "http://127.0.0.1:8000/issuer",
        "aud": OFFICER_TOKEN_AUDIENCE,
        "sub": str(uuid.UUID(int=7)),
        "iat": int(START.timestamp()),
        "exp": int(START.timestamp()) + 900,
        "jti": "j",
        "role": "clerk",
        "jur": "shanghai",
        "tv": 1,
        "mfa": False,
    }
    base.update(claims)
    base = {k: v for k, v in base.items() if v is not None}
    return jwt.encode(base, key, algorithm=alg, headers={"typ": typ})


class TestPasswords:
    def test_hash_and_verify(self, settings: IssuerSettings) -> None:
        passwords = Passwords(settings)
        stored = passwords.hash("correct horse battery staple")
        assert stored.startswith("$argon2id$")
        assert passwords.verify(stored, "correct horse battery staple")
        assert not passwords.verify(stored, "correct horse battery stable")

    def test_missing_or_broken_hash_never_matches(self, settings: IssuerSettings) -> None:
        passwords = Passwords(settings)
        assert not passwords.verify(None, "anything")
        assert not passwords.verify("not-a-hash", "anything")
        assert not passwords.verify("", "")

    def test_needs_rehash_when_parameters_change(self, settings: IssuerSettings) -> None:
        cheap = Passwords(settings)
        stored = cheap.hash("correct horse battery staple")
        assert not cheap.needs_rehash(stored)
        stronger = Passwords(make_settings("sqlite:///unused.db", argon2_time_cost=2))
        assert stronger.needs_rehash(stored)
        assert stronger.verify(stored, "correct horse battery staple")


class TestTotp:
    def test_accepts_current_and_adjacent_steps_once(self) -> None:
        secret = new_totp_secret()
        clock = FakeClock()
        step = int(clock().timestamp()) // TOTP_PERIOD
        code = pyotp.TOTP(secret).at(clock())
        assert verify_totp(secret, code, now=clock(), last_step=0) == step
        assert verify_totp(secret, code, now=clock(), last_step=step) is None  # replay
        previous = pyotp.TOTP(secret).at(clock() - timedelta(seconds=TOTP_PERIOD))
        assert verify_totp(secret, previous, now=clock(), last_step=0) == step - 1
        too_old = pyotp.TOTP(secret).at(clock() - timedelta(seconds=3 * TOTP_PERIOD))
        assert verify_totp(secret, too_old, now=clock(), last_step=0) is None

    @pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "１２３４５６", " 123456"])
    def test_malformed_codes(self, code: str) -> None:
        assert verify_totp(new_totp_secret(), code, now=START, last_step=0) is None

    def test_secret_and_provisioning_uri(self) -> None:
        secret = new_totp_secret()
        assert len(secret) == 32
        uri = totp_provisioning_uri(secret, username="alice", issuer_name="Residence permits")
        assert uri.startswith("otpauth://totp/")
        assert f"secret={secret}" in uri


class TestOfficerTokens:
    def test_round_trip(self, settings: IssuerSettings) -> None:
        claims = decode_officer_token(token(settings), settings=settings, now=START)
        assert claims.officer_id == uuid.UUID(int=7)
        assert (claims.role, claims.jurisdiction, claims.token_version) == (
            "supervisor",
            "shanghai",
            3,
        )
        assert claims.mfa is True
        assert claims.expires_at == START + timedelta(seconds=900)

    def test_header_and_amr(self, settings: IssuerSettings) -> None:
        raw = token(settings, mfa=False)
        assert jwt.get_unverified_header(raw)["typ"] == "at+jwt"
        payload = jwt.decode(raw, options={"verify_signature": False})
        assert payload["amr"] == ["pwd"]
        assert payload["aud"] == OFFICER_TOKEN_AUDIENCE
        assert len(payload["jti"]) >= 16

    def test_expiry_uses_the_injected_clock(self, settings: IssuerSettings) -> None:
        raw = token(settings)
        decode_officer_token(raw, settings=settings, now=START + timedelta(seconds=899))
        with pytest.raises(AuthenticationRequired):
            decode_officer_token(raw, settings=settings, now=START + timedelta(seconds=900))

    def test_issued_in_the_future_is_refused(self, settings: IssuerSettings) -> None:
        raw = token(settings, now=START + timedelta(minutes=5))
        with pytest.raises(AuthenticationRequired):
            decode_officer_token(raw, settings=settings, now=START)

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param(
                forge({}, key="another-secret-of-sufficient-length-000000"), id="wrong-key"
            ),
            pytest.param(forge({}, typ="JWT"), id="wrong-typ"),
            pytest.param(forge({"aud": "someone-else"}), id="wrong-aud"),
            pytest.param(forge({"iss": "https://evil.example"}), id="wrong-iss"),
            pytest.param(forge({"jti": None}), id="no-jti"),
            pytest.param(forge({"tv": None}), id="no-tv"),
            pytest.param(forge({"tv": True}), id="bool-tv"),
            pytest.param(forge({"mfa": "yes"}), id="string-mfa"),
            pytest.param(forge({"sub": "not-a-uuid"}), id="bad-sub"),
            pytest.param(forge({"exp": "soon"}), id="string-exp"),
            pytest.param(forge({}, alg="HS512"), id="other-alg"),
            pytest.param("not.a.jwt", id="garbage"),
            pytest.param("", id="empty"),
        ],
    )
    def test_refused(self, settings: IssuerSettings, raw: str) -> None:
        with pytest.raises(AuthenticationRequired) as caught:
            decode_officer_token(raw, settings=settings, now=START)
        assert caught.value.message == "invalid or expired session token"

    def test_unsigned_token_is_refused(self, settings: IssuerSettings) -> None:
        header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"at+jwt"}').decode()
        body = jwt.utils.base64url_encode(b'{"sub":"x"}').decode()
        with pytest.raises(AuthenticationRequired):
            decode_officer_token(f"{header}.{body}.", settings=settings, now=START)
