"""What the Token Status List tests share: one status issuer, its keys and clock, and a
signed token builder whose every payload member can be overridden or dropped, so each
refusal test changes exactly one thing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.vectors import vectors_dir
from wire.jwk import PublicKey
from wire.jws import sign_compact
from wire.statuslist import StatusList, StatusListToken, verify_status_list_token

VECTORS = vectors_dir() / "token-status-list"
MB = 1024 * 1024
SUB = "https://issuer.example.cn/statuslists/7"
ISS = "https://issuer.example.cn"
KID = "status-key-1"
NOW = 1_750_000_000
ALGS = frozenset({"ES256", "EdDSA"})

KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()


def b64u_decode_lenient(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_resolver(mapping: dict[str, PublicKey]) -> Callable[[str], PublicKey | None]:
    return mapping.get


RESOLVE = key_resolver({KID: KEY.public_key()})


# An override that removes the payload member instead of setting it.
DROP = object()


def token_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "sub": SUB,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "ttl": 300,
        "iss": ISS,
        "status_list": StatusList.from_entries(16, 2, {0: 1, 5: 2}).to_json(),
    }
    for name, value in overrides.items():
        if value is DROP:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def signed_token(
    header: dict[str, Any] | None = None, key: Any = KEY, **payload_overrides: Any
) -> str:
    full_header = {"typ": "statuslist+jwt", "kid": KID} if header is None else header
    return sign_compact(full_header, token_payload(**payload_overrides), key)


def verify_token(token: str, **overrides: Any) -> StatusListToken:
    kwargs: dict[str, Any] = {
        "resolve_key": RESOLVE,
        "expected_sub": SUB,
        "now": NOW,
        "algorithms": ALGS,
        "max_bytes": MB,
        "issuer": ISS,
    }
    kwargs.update(overrides)
    return verify_status_list_token(token, **kwargs)
