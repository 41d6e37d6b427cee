"""Realistic synthetic presentations for the QR transport tests (tests/wire/test_qrcodec_*.py).

The packer is tuned to the shape of real SD-JWT VC presentations (DESIGN §2-§3), so the
round-trip, size and hostile-payload tests all need the same long Chinese claim values,
relying-party profiles and real signatures. Salts and nonces are fresh random bytes, as in
the field, so the packer gains nothing from repetition.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from wire.encoding import b64u_encode, json_dumps
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.jws import sign_compact

ISSUER = "https://permits.sh.example/issuer"
VALUES: dict[str, Any] = {
    "permit_no": "310115202511210042",
    "name": "张三丰",
    "sex": "M",
    "birth_date": "1990-03-07",
    "id_number": "11010519900307123X",
    "hukou_address": "湖北省十堰市丹江口市武当山特区太和宫1号",
    "residence_address": {
        "region_code": "310115",
        "district": "浦东新区",
        "street": "世纪大道100号",
    },
    "permit_class": "standard",
    "issuing_authority": "上海市公安局浦东分局",
    "first_issued": "2019-06-01",
    "endorsed_until": "2026-11-21",
    "age_over_18": True,
    "age_over_60": False,
}
ALL_CLAIMS = [
    *(name for name in VALUES if name != "residence_address"),
    "residence_address",
    "residence_address.region_code",
    "residence_address.district",
    "residence_address.street",
]
PROFILES: dict[str, list[str]] = {
    "landlord": [
        "name",
        "permit_class",
        "residence_address",
        "residence_address.district",
        "endorsed_until",
    ],
    "school": [
        "name",
        "residence_address",
        "residence_address.region_code",
        "residence_address.district",
        "residence_address.street",
        "first_issued",
        "permit_class",
    ],
    "bank": [
        "name",
        "id_number",
        "residence_address",
        "residence_address.region_code",
        "residence_address.district",
        "residence_address.street",
        "endorsed_until",
    ],
    "agency": ALL_CLAIMS,
}
AUDIENCES = {
    "landlord": "urn:residence-permit:qr",
    "school": "urn:residence-permit:qr",
    "bank": "https://verifier.bank.example",
    "agency": "https://verifier.gov.example",
}


def _disclosure(name: str, value: Any) -> str:
    return b64u_encode(json_dumps([b64u_encode(os.urandom(16)), name, value]))


def _digest(disclosure: str) -> str:
    return b64u_encode(hashlib.sha256(disclosure.encode("ascii")).digest())


def quoted_digest(text: str) -> bytes:
    return b'"' + _digest(text).encode() + b'"'


def _decoys(digests: list[str], count: int) -> list[str]:
    return sorted(digests + [b64u_encode(os.urandom(32)) for _ in range(count)])


@cache
def _keys(kind: str) -> tuple[PrivateKey, PrivateKey]:
    if kind == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())


def make_presentation(
    claims: Sequence[str], *, alg: str = "ES256", kb: bool = True, aud: str = AUDIENCES["landlord"]
) -> str:
    """An SD-JWT VC presentation as the issuer and wallet build it (DESIGN §2-§3), real crypto."""
    issuer_key, holder_key = _keys(alg)
    address = VALUES["residence_address"]
    sub = {name: _disclosure(name, value) for name, value in address.items()}
    address_disclosure = _disclosure(
        "residence_address", {"_sd": _decoys([_digest(d) for d in sub.values()], 1)}
    )
    top = {
        name: _disclosure(name, value)
        for name, value in VALUES.items()
        if name != "residence_address"
    }
    top["residence_address"] = address_disclosure
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "iat": 1763700000,
        "exp": 1795236000,
        "vct": "urn:residence-permit:cn:v1",
        "_sd_alg": "sha-256",
    }
    if kb:
        payload["cnf"] = {"jwk": public_jwk(holder_key)}
    payload["status"] = {
        "status_list": {"idx": 12345, "uri": "https://permits.sh.example/status/1"}
    }
    payload["_sd"] = _decoys([_digest(d) for d in top.values()], 3)
    header = {"typ": "dc+sd-jwt", "kid": thumbprint(public_jwk(issuer_key))}
    shown = [top[c] if "." not in c else sub[c.split(".")[1]] for c in claims]
    text = "~".join([sign_compact(header, payload, issuer_key), *shown]) + "~"
    if not kb:
        return text
    sd_hash = b64u_encode(hashlib.sha256(text.encode("ascii")).digest())
    kb_payload = {
        "iat": 1763700042,
        "aud": aud,
        "nonce": b64u_encode(os.urandom(16)),
        "sd_hash": sd_hash,
    }
    return text + sign_compact({"typ": "kb+jwt"}, kb_payload, holder_key)
