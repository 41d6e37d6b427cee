"""Status list tokens (``statuslist+jwt``): build and verify round trips, ``ttl`` clamping, and
every way a token is refused.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.wire.statuslist_helpers import (
    DROP,
    ED_KEY,
    ISS,
    KEY,
    KID,
    NOW,
    OTHER_KEY,
    SUB,
    b64u_decode_lenient,
    key_resolver,
    signed_token,
    token_payload,
    verify_token,
)
from wire.encoding import b64u_encode
from wire.errors import StatusInvalid
from wire.statuslist import (
    INVALID,
    SUSPENDED,
    TTL_MAX,
    TTL_MIN,
    VALID,
    StatusList,
    StatusValue,
    build_status_list_token,
    status_at,
)


@pytest.mark.parametrize("key", [KEY, ED_KEY], ids=["ES256", "EdDSA"])
def test_build_then_verify(key: Any) -> None:
    status_list = StatusList.from_entries(1000, 2, {3: INVALID, 999: SUSPENDED})
    token = build_status_list_token(
        status_list=status_list, sub=SUB, iat=NOW, exp=NOW + 60, ttl=600, key=key, kid=KID, iss=ISS
    )
    header = json.loads(b64u_decode_lenient(token.split(".")[0]))
    assert header == {
        "alg": "ES256" if key is KEY else "EdDSA",
        "typ": "statuslist+jwt",
        "kid": KID,
    }
    result = verify_token(token, resolve_key=key_resolver({KID: key.public_key()}))
    assert (result.sub, result.iat, result.exp, result.ttl) == (SUB, NOW, NOW + 60, 600)
    assert status_at(result, 3) == StatusValue.INVALID
    assert status_at(result, 999) == SUSPENDED
    assert status_at(result, 4) == VALID
    # 1000 two-bit entries are exactly 250 bytes, so the decoded list is equal, size included.
    assert result.status_list == status_list


def test_build_without_iss_omits_it() -> None:
    token = build_status_list_token(
        status_list=StatusList(8, 1), sub=SUB, iat=NOW, exp=NOW + 60, ttl=60, key=KEY, kid=KID
    )
    payload = json.loads(b64u_decode_lenient(token.split(".")[1]))
    assert set(payload) == {"sub", "iat", "exp", "ttl", "status_list"}
    assert verify_token(token).sub == SUB


def test_build_refuses_non_int_times() -> None:
    with pytest.raises(TypeError):
        build_status_list_token(
            status_list=StatusList(8, 1), sub=SUB, iat=True, exp=NOW, ttl=60, key=KEY, kid=KID
        )


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [
        (0, TTL_MIN),
        (-5, TTL_MIN),
        (59, 60),
        (60, 60),
        (3600, 3600),
        (86_400, 86_400),
        (10**9, TTL_MAX),
    ],
)
def test_ttl_is_clamped(ttl: int, expected: int) -> None:
    assert verify_token(signed_token(ttl=ttl)).ttl == expected


def test_absent_ttl_is_the_minimum() -> None:
    assert verify_token(signed_token(ttl=DROP)).ttl == TTL_MIN


def test_iss_is_optional_and_unchecked_without_issuer() -> None:
    assert verify_token(signed_token(iss=DROP)).sub == SUB
    assert verify_token(signed_token(iss="https://elsewhere.example"), issuer=None).sub == SUB


# --- negative: token ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"kid": KID},
        {"typ": "JWT", "kid": KID},
        {"typ": "application/statuslist+jwt", "kid": KID},
        {"typ": "STATUSLIST+JWT", "kid": KID},
        {"typ": "dc+sd-jwt", "kid": KID},
    ],
)
def test_wrong_typ(header: dict[str, Any]) -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(header))


@pytest.mark.parametrize(
    "sub", ["https://issuer.example.cn/statuslists/8", SUB + "/", 7, None, DROP]
)
def test_wrong_sub(sub: Any) -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(sub=sub))


def test_unknown_kid() -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(), resolve_key=lambda kid: None)
    for header in ({"typ": "statuslist+jwt"}, {"typ": "statuslist+jwt", "kid": 12}):
        with pytest.raises(StatusInvalid):
            verify_token(signed_token(header))


def test_other_issuers_key() -> None:
    token = signed_token(key=OTHER_KEY)  # signed by a key that is not the issuer's
    with pytest.raises(StatusInvalid):
        verify_token(token)
    with pytest.raises(StatusInvalid):  # the resolver hands back a different key for the kid
        verify_token(signed_token(), resolve_key=key_resolver({KID: OTHER_KEY.public_key()}))
    with pytest.raises(StatusInvalid):  # key type does not match alg
        verify_token(signed_token(), resolve_key=key_resolver({KID: ED_KEY.public_key()}))


def test_tampered_token() -> None:
    header, payload, signature = signed_token().split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    forged_payload = b64u_encode(json.dumps(token_payload(sub=SUB, exp=NOW + 10**6)).encode())
    for token in (
        f"{header}.{payload}.{flipped}",
        f"{header}.{forged_payload}.{signature}",
        f"{header}.{payload}.{signature[:-2]}",
        f"{header}.{payload}.",
        f"{header}.{payload}",
    ):
        with pytest.raises(StatusInvalid):
            verify_token(token)


def test_alg_not_allowed() -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(), algorithms={"EdDSA"})
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(), algorithms=set())
    header = b64u_encode(b'{"alg":"none","typ":"statuslist+jwt","kid":"status-key-1"}')
    payload = b64u_encode(json.dumps(token_payload()).encode())
    with pytest.raises(StatusInvalid):
        verify_token(f"{header}.{payload}.AAAA", algorithms={"none", "ES256"})


def test_crit_header_is_refused() -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token({"typ": "statuslist+jwt", "kid": KID, "crit": ["exp"]}))


@pytest.mark.parametrize("exp", [NOW, NOW - 1, 0])
def test_expired(exp: int) -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(exp=exp))


def test_not_before() -> None:
    assert verify_token(signed_token(nbf=NOW)).sub == SUB
    for nbf in (NOW + 1, "0", True):
        with pytest.raises(StatusInvalid):
            verify_token(signed_token(nbf=nbf))


@pytest.mark.parametrize("iss", ["https://other.example.cn", ISS + "/", 1, None])
def test_iss_mismatch(iss: Any) -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(iss=iss))


@pytest.mark.parametrize("claim", ["iat", "exp"])
@pytest.mark.parametrize("value", [True, False, "1750000000", 1.75e9, None, [1], DROP])
def test_times_must_be_ints(claim: str, value: Any) -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(**{claim: value}))


@pytest.mark.parametrize("ttl", [True, "60", 60.0, None])
def test_ttl_must_be_int(ttl: Any) -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(ttl=ttl))


@pytest.mark.parametrize(
    "status_list",
    [
        DROP,
        None,
        [],
        "eNrbuRgAAhcBXQ",
        {"bits": 1},
        {"lst": "eNrbuRgAAhcBXQ"},
        {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": True, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1.0, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": "1", "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1, "lst": 5},
        {"bits": 1, "lst": "eNrbuRgAAhcBXR"},  # non-zero trailing bits
    ],
)
def test_bad_status_list_claim(status_list: Any) -> None:
    with pytest.raises(StatusInvalid):
        verify_token(signed_token(status_list=status_list))


def test_token_size_limit() -> None:
    token = signed_token()
    assert verify_token(token, max_size_chars=len(token)).sub == SUB
    with pytest.raises(StatusInvalid):
        verify_token(token, max_size_chars=len(token) - 1)
    with pytest.raises(StatusInvalid):
        verify_token(token.encode())  # type: ignore[arg-type]
