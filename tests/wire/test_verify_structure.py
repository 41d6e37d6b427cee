"""Verifier checks up to the issuer signature (DESIGN §6): size, parsing, header, issuer, key,
signature. Structural attacks are re-signed with the trusted key (``HostileIssuer``) so each
one reaches the check it targets."""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.wire.conftest import (
    ATTACKER,
    DROP,
    HOLDER_EDDSA,
    ISSUER_EDDSA,
    ISSUER_ES256,
    NOW,
    HostileIssuer,
    MemoryNonceCache,
    StubDirectory,
    StubIssuer,
    StubStatus,
    Verifier,
    changed,
    issue,
    kid_of,
    present,
    sign_segments,
)
from wire.credential import IssuedCredential
from wire.disclosures import make_disclosure
from wire.encoding import b64u_encode, json_dumps
from wire.jwk import public_jwk
from wire.verify import VerifyPolicy

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def with_extra_disclosures(hostile: HostileIssuer, count: int) -> str:
    """A presentation with ``count`` extra (referenced) disclosures and no others."""
    extra = [make_disclosure(f"x{i}", i) for i in range(count)]
    payload = changed(hostile.payload, _sd=sorted(d.digest for d in extra))
    return hostile.present(payload=payload, disclosures=[d.encoded for d in extra])


# --- size ---------------------------------------------------------------------------------


def test_presentation_just_under_16_kib_passes_and_just_over_is_too_large(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    def sized(filler: int) -> str:
        return hostile.present(payload=changed(hostile.payload, note="x" * filler))

    filler = 8_000
    while len(sized(filler + 3)) <= 16 * 1024:
        filler += 3
    under, over = sized(filler), sized(filler + 3)
    assert len(under) <= 16 * 1024 < len(over)
    assert verifier.check(under).valid
    assert verifier.reason(over) == "payload_too_large"


def test_size_limit_is_inclusive(verifier: Verifier, credential: IssuedCredential) -> None:
    text = present(credential)
    assert verifier.check(text, policy=VerifyPolicy(max_presentation=len(text))).valid
    policy = VerifyPolicy(max_presentation=len(text) - 1)
    assert verifier.reason(text, policy=policy) == "payload_too_large"


def test_size_is_counted_in_utf8_bytes_before_parsing(verifier: Verifier) -> None:
    assert verifier.reason("字" * 6_000) == "payload_too_large"  # 6,000 chars, 18,000 bytes
    assert verifier.reason("字" * 5_000) == "malformed"


def test_64_disclosures_pass_and_65_are_too_many(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    assert verifier.check(with_extra_disclosures(hostile, 64), "any").valid
    assert verifier.reason(with_extra_disclosures(hostile, 65), "any") == "payload_too_large"


def test_huge_garbage_is_too_large_not_malformed(verifier: Verifier) -> None:
    assert verifier.reason("~" * 100) == "payload_too_large"
    assert verifier.reason("A" * 1_000_000) == "payload_too_large"


# --- parsing: overall structure and issuer-signed JWT → malformed -------------------------


@pytest.mark.parametrize(
    "text",
    ["", "~", "~~", "\n", "é~", "abc", "a.b.c", "~a.b.c~", "\x00~", "\ud800~"],
    ids=repr,
)
def test_garbage_is_malformed(verifier: Verifier, text: str) -> None:
    assert verifier.reason(text) == "malformed"


def test_bare_issuer_jwt_without_tilde_is_malformed(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    assert verifier.reason(credential.issuer_jwt) == "malformed"


def test_empty_disclosure_slot_is_malformed(
    verifier: Verifier, credential: IssuedCredential
) -> None:
    jwt, *rest = present(credential).split("~")
    assert verifier.reason("~".join([jwt, "", *rest])) == "malformed"


def test_non_ascii_anywhere_is_malformed(verifier: Verifier, credential: IssuedCredential) -> None:
    text = present(credential)
    assert verifier.reason(text[:40] + "é" + text[41:]) == "malformed"


@pytest.mark.parametrize("segments", [1, 2, 4])
def test_issuer_jwt_with_wrong_number_of_segments(
    hostile: HostileIssuer, verifier: Verifier, segments: int
) -> None:
    parts = hostile.issuer_jwt().split(".")
    jwt = ".".join((parts * 2)[:segments])
    assert verifier.reason(hostile.present(jwt=jwt)) == "malformed"


@pytest.mark.parametrize("empty", [0, 1, 2])
def test_issuer_jwt_with_an_empty_segment(
    hostile: HostileIssuer, verifier: Verifier, empty: int
) -> None:
    parts = hostile.issuer_jwt().split(".")
    parts[empty] = ""
    assert verifier.reason(hostile.present(jwt=".".join(parts))) == "malformed"


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _variants(segment: str) -> list[str]:
    """Non-canonical spellings of a base64url segment that lenient decoders accept."""
    assert len(segment) % 4 in (2, 3)  # so the last character carries unused low bits
    last = ALPHABET.index(segment[-1])
    assert last & 1 == 0
    std = segment.translate(str.maketrans("-_", "+/"))
    return [
        segment + "=" * (-len(segment) % 4),  # padding
        segment + " ",
        " " + segment,
        segment[:20] + "\n" + segment[20:],
        std if std != segment else segment[:-1] + "+",  # standard alphabet
        segment[:-1] + ALPHABET[last | 1],  # non-zero trailing bits
    ]


def _with_trailing_bits(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` plus a filler member so its base64url form has unused trailing bits."""
    for size in range(1, 4):
        padded = changed(obj, pad="x" * size)
        if len(json_dumps(padded)) % 3:
            return padded
    raise AssertionError("unreachable")


@pytest.mark.parametrize("which", [0, 1, 2], ids=["header", "payload", "signature"])
def test_non_canonical_base64url_in_issuer_jwt(
    hostile: HostileIssuer, verifier: Verifier, which: int
) -> None:
    header, payload = _with_trailing_bits(hostile.header), _with_trailing_bits(hostile.payload)
    parts = hostile.issuer_jwt(payload, header).split(".")
    assert verifier.check(hostile.present(jwt=".".join(parts))).valid
    for variant in _variants(parts[which]):
        edited = [*parts]
        edited[which] = variant
        jwt = ".".join(edited) if which == 2 else sign_segments(edited[0], edited[1], ISSUER_ES256)
        assert verifier.reason(hostile.present(jwt=jwt)) == "malformed", variant


RAW_PAYLOAD_DEFECTS = {
    "duplicate member": b'{"iss":"https://permits.sh.example/issuer","iss":"x"}',
    "duplicate nested": b'{"cnf":{"jwk":{"kty":"OKP","kty":"EC"}}}',
    "NaN": b'{"x":NaN}',
    "Infinity": b'{"x":-Infinity}',
    "overflowing float": b'{"x":1e999}',
    "lone surrogate": b'{"x":"\\ud800"}',
    "not UTF-8": b'{"x":"\xff"}',
    "UTF-8 BOM": b'\xef\xbb\xbf{"x":1}',
    "array": b"[]",
    "string": b'"x"',
    "trailing data": b'{"x":1}{"y":2}',
    "not JSON": b"{x:1}",
}


@pytest.mark.parametrize("raw", RAW_PAYLOAD_DEFECTS.values(), ids=RAW_PAYLOAD_DEFECTS.keys())
@pytest.mark.parametrize("where", ["header", "payload"])
def test_strict_json_in_issuer_jwt(
    hostile: HostileIssuer, verifier: Verifier, raw: bytes, where: str
) -> None:
    kwargs: dict[str, Any] = {where: raw}
    assert verifier.reason(hostile.present(**kwargs)) == "malformed"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_32_is_accepted_and_33_is_malformed(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    # The payload object is one level; the extra claim adds the rest.
    assert verifier.check(hostile.present(payload=changed(hostile.payload, x=_nested(31)))).valid
    too_deep = hostile.present(payload=changed(hostile.payload, x=_nested(32)))
    assert verifier.reason(too_deep) == "malformed"
    very_deep = hostile.present(payload=b'{"x":' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert verifier.reason(very_deep) == "malformed"


BAD_CLAIMS = [
    ("iss", DROP),
    ("iss", 7),
    ("iss", ["https://permits.sh.example/issuer"]),
    ("iat", DROP),
    ("iat", True),
    ("iat", float(NOW)),
    ("iat", str(NOW)),
    ("iat", None),
    ("exp", DROP),
    ("exp", False),
    ("exp", 1.9e9),
    ("exp", "1900000000"),
    ("nbf", True),
    ("nbf", 1.0),
    ("nbf", None),
    ("vct", 1),
    ("vct", ["urn:residence-permit:cn:v1"]),
    ("_sd_alg", 256),
    ("cnf", "key"),
    ("cnf", None),
    ("_sd", "digest"),
    ("_sd", {"digest": 1}),
]


@pytest.mark.parametrize(("claim", "value"), BAD_CLAIMS, ids=[f"{c}={v!r}" for c, v in BAD_CLAIMS])
def test_wrongly_typed_registered_claims_are_malformed(
    hostile: HostileIssuer, verifier: Verifier, claim: str, value: Any
) -> None:
    payload = changed(hostile.payload, **{claim: value})
    assert verifier.reason(hostile.present(payload=payload)) == "malformed"


def test_crit_header_is_malformed(hostile: HostileIssuer, verifier: Verifier) -> None:
    for crit in (["exp"], [], "b64"):
        header = changed(hostile.header, crit=crit)
        assert verifier.reason(hostile.present(header=header)) == "malformed"


# --- header: typ and alg ---------------------------------------------------------------


@pytest.mark.parametrize("typ", [DROP, "JWT", "sd-jwt", "vc+sd-jwt", "DC+SD-JWT", "kb+jwt", 1])
def test_wrong_typ(hostile: HostileIssuer, verifier: Verifier, typ: Any) -> None:
    header = changed(hostile.header, typ=typ)
    assert verifier.reason(hostile.present(header=header)) == "wrong_type"


@pytest.mark.parametrize(
    "alg", [DROP, "none", "None", "HS256", "RS256", "ES384", "es256", "eddsa", "", 256, ["ES256"]]
)
def test_alg_not_allow_listed(hostile: HostileIssuer, verifier: Verifier, alg: Any) -> None:
    header = changed(hostile.header, alg=alg)
    assert verifier.reason(hostile.present(header=header)) == "unsupported_alg"


def test_hs256_keyed_with_the_issuer_public_key_is_refused(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    """The classic algorithm-confusion forgery: HMAC keyed with the public key bytes."""
    secret = ISSUER_ES256.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = changed(hostile.header, alg="HS256")
    signing_input = f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(hostile.payload))}"
    tag = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert verifier.reason(hostile.present(jwt=f"{signing_input}.{b64u_encode(tag)}")) == (
        "unsupported_alg"
    )


def test_policy_allow_list_is_honoured(verifier: Verifier) -> None:
    text = present(issue(signing_key=ISSUER_EDDSA))
    assert verifier.check(text).valid
    assert verifier.reason(text, policy=VerifyPolicy(algorithms=frozenset({"ES256"}))) == (
        "unsupported_alg"
    )


# --- issuer and key --------------------------------------------------------------------


@pytest.mark.parametrize(
    "iss",
    [
        "https://evil.example/issuer",
        "https://permits.sh.example/issuer/",
        "https://PERMITS.sh.example/issuer",
        "http://permits.sh.example/issuer",
        "https://permits.sh.example/issuer ",
        "",
    ],
)
def test_issuer_not_in_directory(hostile: HostileIssuer, verifier: Verifier, iss: str) -> None:
    payload = changed(hostile.payload, iss=iss)
    assert verifier.reason(hostile.present(payload=payload)) == "unknown_issuer"


@pytest.mark.parametrize(
    "kid",
    [DROP, "", "unknown", "../../keys/issuer.pem", "/etc/passwd", "file:///tmp/k", 1, None, ["x"]],
)
def test_kid_missing_unknown_or_path_like(
    hostile: HostileIssuer, verifier: Verifier, kid: Any
) -> None:
    header = changed(hostile.header, kid=kid)
    assert verifier.reason(hostile.present(header=header)) == "unknown_key"


def test_kid_of_a_key_the_issuer_does_not_hold(hostile: HostileIssuer, verifier: Verifier) -> None:
    header = changed(hostile.header, kid=kid_of(HOLDER_EDDSA))
    assert verifier.reason(hostile.present(header=header)) == "unknown_key"


def test_key_material_in_the_header_is_never_used(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    attacker = HostileIssuer(hostile.base, key=ATTACKER)
    embedded = {"jwk": public_jwk(ATTACKER), "jku": "https://evil.example/jwks", "x5c": ["MII"]}
    own_kid = changed(hostile.header, kid=kid_of(ATTACKER), **embedded)
    assert verifier.reason(attacker.present(header=own_kid)) == "unknown_key"
    trusted_kid = changed(hostile.header, **embedded)
    assert verifier.reason(attacker.present(header=trusted_kid)) == "bad_signature"


def test_removed_key_distrusts_what_it_signed(credential: IssuedCredential) -> None:
    kept = {kid_of(ISSUER_EDDSA): ISSUER_EDDSA.public_key()}
    directory = StubDirectory(StubIssuer("https://permits.sh.example/issuer", kept))
    verifier = Verifier(directory, StubStatus(), MemoryNonceCache())
    assert verifier.reason(present(credential)) == "unknown_key"
    assert verifier.check(present(issue(signing_key=ISSUER_EDDSA))).valid


# --- signature -------------------------------------------------------------------------


def _der_signature(key: ec.EllipticCurvePrivateKey, signing_input: bytes) -> bytes:
    return key.sign(signing_input, ec.ECDSA(hashes.SHA256()))


def test_tampered_payload_without_resigning(hostile: HostileIssuer, verifier: Verifier) -> None:
    header, _, signature = hostile.issuer_jwt().split(".")
    forged = b64u_encode(json_dumps(changed(hostile.payload, exp=NOW + 10**8)))
    assert verifier.reason(hostile.present(jwt=f"{header}.{forged}.{signature}")) == (
        "bad_signature"
    )


SIGNATURES = {
    "zeros (r = s = 0)": bytes(64),
    "r = n": P256_ORDER.to_bytes(32, "big") + (1).to_bytes(32, "big"),
    "s = n": (1).to_bytes(32, "big") + P256_ORDER.to_bytes(32, "big"),
    "63 bytes": bytes(range(63)),
    "65 bytes": bytes(range(65)),
    "random": os.urandom(64),
}


@pytest.mark.parametrize("signature", SIGNATURES.values(), ids=SIGNATURES.keys())
def test_bad_es256_signatures(hostile: HostileIssuer, verifier: Verifier, signature: bytes) -> None:
    jwt = hostile.issuer_jwt(signature=signature)
    assert verifier.reason(hostile.present(jwt=jwt)) == "bad_signature"


def test_der_encoded_es256_signature_is_refused(hostile: HostileIssuer, verifier: Verifier) -> None:
    header, payload, _ = hostile.issuer_jwt().split(".")
    signing_input = f"{header}.{payload}".encode()
    der = _der_signature(ISSUER_ES256, signing_input)
    ISSUER_ES256.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))  # valid DER
    assert verifier.reason(hostile.present(jwt=f"{header}.{payload}.{b64u_encode(der)}")) == (
        "bad_signature"
    )


def test_signature_by_another_key_with_the_trusted_kid(
    hostile: HostileIssuer, verifier: Verifier
) -> None:
    assert verifier.reason(HostileIssuer(hostile.base, key=ATTACKER).present()) == "bad_signature"


def test_eddsa_signature_under_an_es256_header(hostile: HostileIssuer, verifier: Verifier) -> None:
    """Kid and alg name the ES256 key; the bytes are a valid Ed25519 signature of another
    trusted key."""
    assert verifier.reason(HostileIssuer(hostile.base, key=ISSUER_EDDSA).present()) == (
        "bad_signature"
    )


def test_alg_that_does_not_match_the_key_type(hostile: HostileIssuer, verifier: Verifier) -> None:
    # EdDSA header, kid of the EC key, really signed by the (trusted) Ed25519 key.
    header = changed(hostile.header, alg="EdDSA")
    ed = HostileIssuer(hostile.base, key=ISSUER_EDDSA)
    assert verifier.reason(ed.present(header=header)) == "bad_signature"
    # ES256 header, kid of the Ed25519 key, signed by the EC key.
    header = changed(hostile.header, kid=kid_of(ISSUER_EDDSA))
    assert verifier.reason(hostile.present(header=header)) == "bad_signature"
