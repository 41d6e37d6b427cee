"""The residence-permit credential as an SD-JWT VC (DESIGN §2).

Issuance is pure: keys, times, status reference and randomness are all passed in, so the issuer
service decides *what* to sign and this module decides only *how* it looks on the wire.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final

from wire.disclosures import Disclosure, SaltSource, random_salt
from wire.errors import HolderBindingInvalid
from wire.jwk import PrivateKey, load_public_jwk, public_jwk, thumbprint
from wire.jws import sign_compact
from wire.sdjwt import SD_ALG, conceal, join_presentation

__all__ = [
    "ADDRESS_CLAIMS",
    "CHINA_TZ",
    "CLAIM_NAMES",
    "CREDENTIAL_TYP",
    "PERMIT_CLASSES",
    "VCT",
    "IssuedCredential",
    "end_of_day",
    "issue_credential",
    "validate_permit_claims",
]

VCT: Final = "urn:residence-permit:cn:v1"
CREDENTIAL_TYP: Final = "dc+sd-jwt"
#: Permit dates (``endorsed_until``, ``first_issued``) are calendar dates in China Standard Time.
CHINA_TZ: Final = timezone(timedelta(hours=8), "CST")
PERMIT_CLASSES: Final = ("temporary", "standard", "talent")
ADDRESS_CLAIMS: Final = ("region_code", "district", "street")
#: Every selectively disclosable top-level claim, in DESIGN §2 order.
CLAIM_NAMES: Final = (
    "permit_no",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "hukou_address",
    "residence_address",
    "permit_class",
    "issuing_authority",
    "first_issued",
    "endorsed_until",
    "age_over_18",
    "age_over_60",
)
_FRAME: Final[dict[str, Any]] = {
    "_sd": list(CLAIM_NAMES),
    "residence_address": {"_sd": list(ADDRESS_CLAIMS)},
}


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """An issued SD-JWT (issuer JWT plus every disclosure, ending in ``~``)."""

    serialized: str
    issuer_jwt: str
    disclosures: tuple[Disclosure, ...]


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def validate_permit_claims(claims: Mapping[str, Any]) -> None:
    """Check the claim set against DESIGN §2 before anything is signed.

    Raises ``ValueError`` naming the claim (never its value): an issuer bug must not produce a
    credential that verifiers would have to second-guess.
    """
    missing = [name for name in CLAIM_NAMES if name not in claims]
    extra = [name for name in claims if name not in CLAIM_NAMES]
    if missing or extra:
        raise ValueError(f"claim set mismatch: missing={missing} unexpected={extra}")
    for name in ("permit_no", "name", "hukou_address", "issuing_authority"):
        if not isinstance(claims[name], str) or not claims[name]:
            raise ValueError(f"{name} must be a non-empty string")
    if claims["sex"] not in ("M", "F"):
        raise ValueError("sex must be M or F")
    id_number = claims["id_number"]
    if not isinstance(id_number, str) or len(id_number) != 18:
        raise ValueError("id_number must be 18 characters")
    for name in ("birth_date", "first_issued", "endorsed_until"):
        if not _is_date(claims[name]):
            raise ValueError(f"{name} must be YYYY-MM-DD")
    if claims["permit_class"] not in PERMIT_CLASSES:
        raise ValueError("permit_class is not a known class")
    for name in ("age_over_18", "age_over_60"):
        if not isinstance(claims[name], bool):
            raise ValueError(f"{name} must be a boolean")
    address = claims["residence_address"]
    if not isinstance(address, Mapping) or set(address) != set(ADDRESS_CLAIMS):
        raise ValueError("residence_address must have region_code, district and street")
    region = address["region_code"]
    if not (isinstance(region, str) and len(region) == 6 and region.isascii() and region.isdigit()):
        raise ValueError("residence_address.region_code must be 6 digits")
    if not all(isinstance(address[k], str) and address[k] for k in ("district", "street")):
        raise ValueError("residence_address district and street must be non-empty strings")


def issue_credential(
    *,
    claims: Mapping[str, Any],
    issuer: str,
    signing_key: PrivateKey,
    holder_jwk: Mapping[str, Any] | None,
    status_uri: str,
    status_idx: int,
    iat: int,
    exp: int,
    salt_source: SaltSource = random_salt,
    decoy_rng: random.Random | None = None,
) -> IssuedCredential:
    """Sign a permit credential (DESIGN §2; SD-JWT VC §3).

    ``holder_jwk`` None issues a paper credential without ``cnf`` (DESIGN §3). Every claim is
    its own disclosure and ``residence_address`` has recursively disclosable sub-claims. The
    issuer adds 1-3 decoy digests at the top level and 1-2 in the address (RFC 9901 §4.2.5);
    ``decoy_rng`` makes the counts reproducible in tests.
    """
    validate_permit_claims(claims)
    # Verifiers refuse a bool or float time or index (DESIGN §6), so never sign one.
    if any(type(value) is not int for value in (iat, exp, status_idx)):
        raise ValueError("iat, exp and status_idx must be integers")
    if datetime.fromtimestamp(exp, CHINA_TZ).date().isoformat() != claims["endorsed_until"]:
        raise ValueError("endorsed_until must be the date of exp (China Standard Time)")
    if not (0 <= iat < exp) or status_idx < 0:
        raise ValueError("iat/exp/status_idx out of range")
    if holder_jwk is not None:
        load_public_jwk(dict(holder_jwk), HolderBindingInvalid)  # refuses weak/invalid keys
    rng = decoy_rng or secrets.SystemRandom()
    decoys = {"": rng.randint(1, 3), "residence_address": rng.randint(1, 2)}
    body, disclosures = conceal(claims, _FRAME, salt_source=salt_source, decoys=decoys)
    payload: dict[str, Any] = {
        "iss": issuer,
        "iat": iat,
        "exp": exp,
        "vct": VCT,
        "_sd_alg": SD_ALG,
    }
    if holder_jwk is not None:
        payload["cnf"] = {"jwk": dict(holder_jwk)}
    payload["status"] = {"status_list": {"idx": status_idx, "uri": status_uri}}
    payload["_sd"] = body["_sd"]
    header = {"typ": CREDENTIAL_TYP, "kid": thumbprint(public_jwk(signing_key))}
    issuer_jwt = sign_compact(header, payload, signing_key)
    serialized = join_presentation(issuer_jwt, [d.encoded for d in disclosures], None)
    return IssuedCredential(serialized, issuer_jwt, tuple(disclosures))


def end_of_day(day: date) -> int:
    """Unix time of the last second of ``day`` in China Standard Time: a permit's ``exp``."""
    return int(
        datetime.combine(day, datetime.max.time(), CHINA_TZ)
        .replace(microsecond=0)
        .astimezone(UTC)
        .timestamp()
    )
