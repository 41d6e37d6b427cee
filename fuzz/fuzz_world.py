"""The fixed world the atheris targets run in, and the harness helpers they share.

Seeds under ``fuzz/corpus`` must stay valid across runs and machines, so nothing here is random:
keys derive from fixed labels, salts from a counter, and the trust list is a real
:class:`wire.trust.TrustList` with the real status-URI policy. A target imports this module
inside ``atheris.instrument_imports()``, so the ``wire`` modules it pulls in are instrumented.

Inputs are bytes with a one-byte *mode* in front that selects the parser (or the input form) a
run exercises; libFuzzer learns the modes from the seeds like any other byte. The oracles come
from ``tests/fuzz/reference.py``, so the repository root must be on ``PYTHONPATH``
(``fuzz/run`` sees to it).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.fuzz.reference import check_against_reference
from wire.credential import IssuedCredential, end_of_day, issue_credential
from wire.encoding import b64u_decode, b64u_encode
from wire.errors import Malformed, PermitError
from wire.jwk import PrivateKey, public_jwk, thumbprint
from wire.presentation import QR_AUDIENCE, create_presentation, sd_hash
from wire.profiles import Profile, load_profiles
from wire.sdjwt import join_presentation, split_presentation
from wire.trust import TrustList, status_uri_allowed
from wire.verify import VerificationResult

__all__ = [
    "BANK",
    "BANK_NONCE",
    "HOLDERS",
    "ISSUER",
    "ISSUERS",
    "NONCE",
    "NOW",
    "PROFILE_NAMES",
    "STATUS_URI",
    "TRUST_LIST",
    "Refused",
    "credential",
    "decode_signed_case",
    "encode_signed_case",
    "expect",
    "kid_of",
    "presentation",
    "sign_raw",
    "split_mode",
    "uri_allowed",
    "verify_case",
]

T = TypeVar("T")

NOW = 1_780_000_000
ISSUER = "https://permits.sh.example/issuer"
STATUS_PREFIX = "https://permits.sh.example/status/"
STATUS_URI = STATUS_PREFIX + "1"
BANK = "https://bank.example.cn/verifier"
NONCE = "nonce-0001"
BANK_NONCE = "bank-nonce-0000000000000001"
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _secret(label: str) -> bytes:
    return hashlib.sha256(f"residence-permit fuzz world: {label}".encode()).digest()


def _p256(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(_secret(label), "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


ISSUER_ES256 = _p256("issuer ES256")
ISSUER_EDDSA = ed25519.Ed25519PrivateKey.from_private_bytes(_secret("issuer EdDSA"))
HOLDER_ES256 = _p256("holder ES256")
HOLDER_EDDSA = ed25519.Ed25519PrivateKey.from_private_bytes(_secret("holder EdDSA"))
ISSUERS: tuple[PrivateKey, ...] = (ISSUER_ES256, ISSUER_EDDSA)
HOLDERS: tuple[PrivateKey, ...] = (HOLDER_EDDSA, HOLDER_ES256)
PROFILES: dict[str, Profile] = load_profiles()
PROFILE_NAMES = ("landlord", "any", "bank", "school")


def kid_of(key: PrivateKey) -> str:
    return thumbprint(public_jwk(key))


TRUST_LIST = TrustList.from_json(
    {
        "version": 1,
        "issuers": [
            {
                "iss": ISSUER,
                "name": "上海市公安局",
                "region_code": "310000",
                "jwks": {"keys": [{**public_jwk(k), "kid": kid_of(k)} for k in ISSUERS]},
                "status_list_prefixes": [STATUS_PREFIX],
            }
        ],
    }
)


def uri_allowed(uri: str, prefixes: Any) -> bool:
    """The verifier's real status-URI policy (DESIGN §5), https only."""
    return status_uri_allowed(uri, prefixes, allow_insecure_loopback=False)


_ENDORSED_UNTIL = date(2027, 3, 1)
_CLAIMS: dict[str, Any] = {
    "permit_no": "310115202600001",
    "name": "测试样例",
    "sex": "F",
    "birth_date": "1990-05-01",
    "id_number": "11010519491231002X",
    "hukou_address": "四川省成都市武侯区",
    "residence_address": {"region_code": "310115", "district": "浦东新区", "street": "世纪大道1号"},
    "permit_class": "standard",
    "issuing_authority": "上海市公安局浦东分局",
    "first_issued": "2024-03-01",
    "endorsed_until": _ENDORSED_UNTIL.isoformat(),
    "age_over_18": True,
    "age_over_60": False,
}


def _counter_salts(seed: int) -> Callable[[], bytes]:
    counter = iter(range(1 << 30))
    return lambda: _secret(f"salt {seed} {next(counter)}")[:16]


def credential(issuer_key: PrivateKey, holder: PrivateKey | None, seed: int) -> IssuedCredential:
    """A permit with reproducible salts and decoys (``holder`` None: a paper credential)."""
    return issue_credential(
        claims=_CLAIMS,
        issuer=ISSUER,
        signing_key=issuer_key,
        holder_jwk=None if holder is None else public_jwk(holder),
        status_uri=STATUS_URI,
        status_idx=42,
        iat=NOW - 86_400,
        exp=end_of_day(_ENDORSED_UNTIL),
        salt_source=_counter_salts(seed),
        decoy_rng=random.Random(seed),  # noqa: S311 - decoy counts, reproducible on purpose
    )


def presentation(issued: IssuedCredential, profile: str, holder: PrivateKey | None) -> str:
    """The wallet's presentation for ``profile`` (every disclosure for ``any``)."""
    bound = PROFILES[profile].verifier_bound
    return create_presentation(
        issued.serialized,
        PROFILES[profile].claims or list(_CLAIMS),
        holder_key=holder,
        audience=BANK if bound else QR_AUDIENCE,
        nonce=BANK_NONCE if bound else NONCE,
        iat=NOW,
    )


class Refused:
    """What :func:`expect` returns when the call failed with one of its documented errors (a
    parser may legitimately return None, e.g. for JSON ``null``)."""

    def __init__(self, error: PermitError) -> None:
        self.error = error


def expect(errors: tuple[type[PermitError], ...], call: Callable[[], T]) -> T | Refused:
    """``call()``, or :class:`Refused` if it raised one of ``errors`` (its documented failures).
    Anything else — another exception type, or a project error it does not document —
    propagates, and atheris reports it as a crash."""
    try:
        return call()
    except errors as error:
        return Refused(error)


def split_mode(data: bytes, modes: int) -> tuple[int, bytes]:
    """The mode byte (reduced to ``modes`` choices) and the rest of the input."""
    if not data:
        return 0, b""
    return data[0] % modes, data[1:]


# --- the pipeline target's input forms --------------------------------------------------------

#: Flag bits of a signed case (byte 2).
ISSUER_EDDSA_FLAG, HOLDER_ES256_FLAG, KB_FLAG, KEEP_SD_HASH_FLAG = 1, 2, 4, 8


def _json_segments(text: str) -> Iterator[bytes]:
    for part in text.split("."):
        yield b64u_decode(part, Malformed)


def encode_signed_case(text: str, *, profile: int, flags: int, status: int = 0) -> bytes:
    """The signed form of a genuine presentation: ``profile``, ``flags | status << 4``, then the
    decoded JSON of every part separated by NUL (which strict JSON never contains raw)."""
    parts = split_presentation(text)
    header, payload, _ = _json_segments(parts.issuer_jwt)
    segments = [header, payload, *(b64u_decode(d, Malformed) for d in parts.disclosures)]
    if parts.kb_jwt is not None:
        kb_header, kb_payload, _ = _json_segments(parts.kb_jwt)
        segments += [kb_header, kb_payload]
        flags |= KB_FLAG
    return bytes([profile, flags | status << 4]) + b"\x00".join(segments)


def decode_signed_case(data: bytes) -> tuple[str, int, int]:
    """Sign a signed-form input with the world's trusted keys: (presentation, profile, status).

    The issuer JWT is signed by the trusted issuer key over exactly the given header and
    payload bytes, the disclosures are base64url of the given bytes, and the KB-JWT is signed
    by a holder key; its ``sd_hash`` is set to the right value unless the input says to keep
    what it holds. So mutations reach the checks behind the signatures.
    """
    if len(data) < 2:
        return "", 0, 0
    profile, flags, body = data[0], data[1], data[2:]
    segments = body.split(b"\x00")
    kb: list[bytes] = []
    if flags & KB_FLAG and len(segments) >= 4:
        segments, kb = segments[:-2], segments[-2:]
    header, payload, *disclosures = [*segments, b"", b""][: max(len(segments), 2)]
    issuer_key = ISSUERS[1] if flags & ISSUER_EDDSA_FLAG else ISSUERS[0]
    issuer_jwt = sign_raw(header, payload, issuer_key)
    body_text = join_presentation(issuer_jwt, [b64u_encode(d) for d in disclosures], None)
    if kb:
        kb_payload = kb[1]
        if not flags & KEEP_SD_HASH_FLAG:
            kb_payload = _with_sd_hash(kb_payload, sd_hash(body_text))
        holder = HOLDERS[1] if flags & HOLDER_ES256_FLAG else HOLDERS[0]
        body_text += sign_raw(kb[0], kb_payload, holder)
    return body_text, profile, (flags >> 4) & 3


def sign_raw(header: bytes, payload: bytes, key: PrivateKey) -> str:
    """A compact JWS over exactly these header and payload bytes."""
    signing_input = f"{b64u_encode(header)}.{b64u_encode(payload)}"
    return f"{signing_input}.{b64u_encode(_raw_signature(key, signing_input.encode()))}"


def _raw_signature(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return key.sign(data)


def _with_sd_hash(kb_payload: bytes, value: str) -> bytes:
    """``kb_payload`` with ``sd_hash`` set, if it is a JSON object; unchanged otherwise."""
    try:
        claims = json.loads(kb_payload)
    except (ValueError, RecursionError):
        return kb_payload
    if not isinstance(claims, dict):
        return kb_payload
    claims["sd_hash"] = value
    return json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def verify_case(text: str, profile_byte: int, status: int) -> VerificationResult:
    """Check ``text`` for one of four profiles against the reference verifier (crash if they
    disagree or the DESIGN §6 contract is broken)."""
    name = PROFILE_NAMES[profile_byte % len(PROFILE_NAMES)]
    bound = PROFILES[name].verifier_bound
    return check_against_reference(
        text,
        PROFILES[name],
        directory=TRUST_LIST,
        uri_allowed=uri_allowed,
        now=NOW,
        status=status,
        audience=BANK if bound else None,
        nonce=BANK_NONCE if bound else None,
    )
