"""JOSE header attacks on the issuer-signed JWT (DESIGN §2, §5, §6).

Categories: ``type`` (``typ`` header, ``vct``), ``alg`` (none, case variants, HS256 keyed with
the issuer's public key), ``crit``, ``header-keys`` (``jwk``/``jku``/``x5u``/``x5c`` are never
used to choose a key), ``kid`` (unknown, path- and URL-like, non-string, another issuer's;
unknown ``iss``). Signature edges and encodings are in ``cases_signature.py``.

Control cases (expected valid) prove the neighbouring attacks: a credential signed by the
trusted key stays valid whatever ``jwk``/``jku``/``x5u``/``x5c`` it carries — and the network
guard shows none of those URLs is fetched.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.adversarial.builders import b64, header, payload, with_hostile
from tests.adversarial.case import Builder, Case
from tests.adversarial.world import ATTACKER, SH_ES256, SZ_ES256, Ctx, kid
from tests.hostile import DROP, HOLDER_EDDSA, HostileIssuer, changed, jws
from wire.jwk import public_jwk

__all__ = ["ALG", "CRIT", "HEADER_KEYS", "KID", "TYPE"]

# --- alg ----------------------------------------------------------------------------------


def _pub(encoding: str) -> bytes:
    """The issuer's public key in one of the forms an HS256 confusion attack might use."""
    public = SH_ES256.public_key()
    jwk = public_jwk(SH_ES256)
    forms = {
        "pem": lambda: public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "der": lambda: public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "x962-uncompressed": lambda: public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        ),
        "x962-compressed": lambda: public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        ),
        "jwk-json": lambda: json.dumps(jwk, separators=(",", ":")).encode(),
        "jwks-json": lambda: json.dumps({"keys": [jwk | {"kid": kid(SH_ES256)}]}).encode(),
        "kid": lambda: kid(SH_ES256).encode(),
    }
    return forms[encoding]()


def _hs256(secret: str) -> Builder:
    """alg=HS256, ``kid`` of the trusted ES256 key, an HMAC tag keyed with its public key."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        head = changed(h.header, alg="HS256")
        unsigned = jws(head, h.payload, SH_ES256).rsplit(".", 1)[0]
        tag = hmac.new(_pub(secret), unsigned.encode(), hashlib.sha256).digest()
        return ctx.present(h, jwt=f"{unsigned}.{b64(tag)}")

    return build


def _alg_none_unsigned(ctx: Ctx) -> str:
    """The textbook forgery: ``alg: none`` and an empty signature segment."""
    h = ctx.hostile()
    unsigned = jws(changed(h.header, alg="none"), h.payload, SH_ES256).rsplit(".", 1)[0]
    return ctx.present(h, jwt=unsigned + ".")


ALG: list[Case] = [
    Case("alg-none-signed", "alg", "unsupported_alg", header(alg="none")),
    Case("alg-none-empty-signature", "alg", "malformed", _alg_none_unsigned),
    *(
        Case(f"alg-{name}", "alg", "unsupported_alg", header(alg=value))
        for name, value in [
            ("None", "None"),
            ("NONE", "NONE"),
            ("nOnE", "nOnE"),
            ("es256", "es256"),
            ("Es256", "Es256"),
            ("ES256-trailing-space", "ES256 "),
            ("ES256-nul", "ES256\x00"),
            ("ES-256", "ES-256"),
            ("ES384", "ES384"),
            ("ES512", "ES512"),
            ("ES256K", "ES256K"),
            ("RS256", "RS256"),
            ("PS256", "PS256"),
            ("HS256", "HS256"),
            ("HS512", "HS512"),
            ("eddsa", "eddsa"),
            ("Ed25519", "Ed25519"),
            ("empty", ""),
            ("missing", DROP),
            ("null", None),
            ("int", 256),
            ("list", ["ES256"]),
            ("object", {"alg": "ES256"}),
        ]
    ),
    *(
        Case(f"alg-hs256-keyed-with-public-key-{form}", "alg", "unsupported_alg", _hs256(form))
        for form in (
            "pem",
            "der",
            "x962-uncompressed",
            "x962-compressed",
            "jwk-json",
            "jwks-json",
            "kid",
        )
    ),
    # EdDSA named in the header, kid of the ES256 key: the key type decides, not the header.
    Case("alg-eddsa-for-an-es256-kid", "alg", "bad_signature", header(alg="EdDSA")),
]

# --- crit ---------------------------------------------------------------------------------

_CRIT: list[tuple[str, dict[str, Any]]] = [
    ("exp", {"crit": ["exp"]}),
    ("empty-list", {"crit": []}),
    ("b64-false", {"crit": ["b64"], "b64": False}),
    ("string", {"crit": "b64"}),
    ("null", {"crit": None}),
    ("unknown-extension", {"crit": ["x-evil"], "x-evil": True}),
    ("alg", {"crit": ["alg"]}),
]
CRIT: list[Case] = [
    Case(f"crit-{name}", "crit", "malformed", header(**members)) for name, members in _CRIT
]

# --- header key material ------------------------------------------------------------------


def _x5c_certificate() -> str:
    """A self-signed certificate for the attacker's key, base64 DER as in ``x5c``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "上海市公安局")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ATTACKER.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(ATTACKER, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


X5C = [_x5c_certificate()]
ATTACKER_JWK = public_jwk(ATTACKER)


def _url(path: str) -> Builder:
    """A header URL on the loopback server itself: a fetch would show in its request log."""
    return lambda ctx: ctx.world.server.base + path


def _key_material(signer: ec.EllipticCurvePrivateKey | None, **members: object) -> Builder:
    """The credential with key-material headers; signed by ``signer`` (None: the trusted key).

    A member given as a callable is resolved with the context (URLs on the loopback server)."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile(key=signer)
        resolved = {k: v(ctx) if callable(v) else v for k, v in members.items()}
        return ctx.present(h, header=changed(h.header, **resolved))

    return build


HEADER_KEYS: list[Case] = [
    # Signed by the trusted key: the headers are ignored and nothing is fetched.
    Case(
        "trusted-signature-with-jwk-header",
        "header-keys",
        None,
        _key_material(None, jwk=ATTACKER_JWK),
    ),
    Case(
        "trusted-signature-with-jku-to-loopback",
        "header-keys",
        None,
        _key_material(None, jku=_url("jwks.json")),
    ),
    Case(
        "trusted-signature-with-jku-to-metadata-ip",
        "header-keys",
        None,
        _key_material(None, jku="http://169.254.169.254/latest/meta-data/"),
    ),
    Case(
        "trusted-signature-with-x5u",
        "header-keys",
        None,
        _key_material(None, x5u=_url("cert.pem")),
    ),
    Case("trusted-signature-with-x5c", "header-keys", None, _key_material(None, x5c=X5C)),
    # Signed by the attacker, who offers their own key in the header.
    Case(
        "attacker-jwk-and-attacker-kid",
        "header-keys",
        "unknown_key",
        _key_material(ATTACKER, jwk=ATTACKER_JWK, kid=kid(ATTACKER)),
    ),
    Case(
        "attacker-jwk-and-trusted-kid",
        "header-keys",
        "bad_signature",
        _key_material(ATTACKER, jwk=ATTACKER_JWK),
    ),
    Case(
        "attacker-jwk-without-kid",
        "header-keys",
        "unknown_key",
        _key_material(ATTACKER, jwk=ATTACKER_JWK, kid=DROP),
    ),
    Case(
        "attacker-jwk-with-private-d",
        "header-keys",
        "bad_signature",
        _key_material(ATTACKER, jwk=ATTACKER_JWK | {"d": b64(bytes(32))}),
    ),
    Case(
        "attacker-jku-and-attacker-kid",
        "header-keys",
        "unknown_key",
        _key_material(ATTACKER, jku=_url("sh/status/jwks.json"), kid=kid(ATTACKER)),
    ),
    Case(
        "attacker-x5u-without-kid",
        "header-keys",
        "unknown_key",
        _key_material(ATTACKER, x5u=_url("cert.pem"), kid=DROP),
    ),
    Case(
        "attacker-x5c-and-trusted-kid",
        "header-keys",
        "bad_signature",
        _key_material(ATTACKER, x5c=X5C),
    ),
    Case(
        "attacker-x5c-without-kid",
        "header-keys",
        "unknown_key",
        _key_material(ATTACKER, x5c=X5C, kid=DROP),
    ),
]

# --- kid and issuer -----------------------------------------------------------------------


def _sz(ctx: Ctx) -> str:
    return ctx.world.iss("sz")


def _iss(value: object) -> Callable[[Ctx, HostileIssuer], str]:
    """``iss`` set to ``value``; ``{sh}``-style templates name variants of Shanghai's id."""

    def build(ctx: Ctx, h: HostileIssuer) -> str:
        sh = ctx.world.iss("sh")
        iss = value
        if isinstance(value, str):
            iss = value.format(
                sh=sh,
                sh_upper=sh.upper(),
                sh_https=sh.replace("http://", "https://"),
            )
        return ctx.present(h, payload=changed(h.payload, iss=iss))

    return build


KID: list[Case] = [
    *(
        Case(f"kid-{name}", "kid", "unknown_key", header(kid=value))
        for name, value in [
            ("unknown", "q1cTxF3cNd4dbLDC6yu9x9NZb0Qk2Nn1uGJm6pZnBc8"),
            ("path-traversal", "../../etc/passwd"),
            ("absolute-path", "/etc/passwd"),
            ("windows-path", "..\\..\\keys\\issuer.pem"),
            ("file-url", "file:///etc/passwd"),
            ("metadata-url", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
            ("https-url", "https://evil.example/jwks.json#k1"),
            ("sql", "' OR '1'='1"),
            ("wildcard", "*"),
            ("empty", ""),
            ("missing", DROP),
            ("null", None),
            ("int", 1),
            ("bool", True),
            ("list", ["kid"]),
            ("object", {"kid": kid(SH_ES256)}),
            ("trusted-with-nul", kid(SH_ES256) + "\x00"),
            ("trusted-with-space", kid(SH_ES256) + " "),
            ("trusted-upper-case", kid(SH_ES256).upper()),
            ("of-the-holder-key", kid(HOLDER_EDDSA)),
        ]
    ),
    Case(
        "kid-loopback-url",
        "kid",
        "unknown_key",
        lambda ctx: header(kid=ctx.world.server.base + "sh/status/keys")(ctx),
    ),
    # Another trusted issuer's key signs a credential claiming to be Shanghai's.
    Case(
        "kid-of-another-issuers-key",
        "kid",
        "unknown_key",
        _key_material(SZ_ES256, kid=kid(SZ_ES256)),
    ),
    # Shanghai's key and kid, but the credential claims Suzhou as its issuer.
    Case(
        "iss-of-another-issuer-with-own-key",
        "kid",
        "unknown_key",
        with_hostile(lambda ctx, h: ctx.present(h, payload=changed(h.payload, iss=_sz(ctx)))),
    ),
    *(
        Case(f"iss-{name}", "kid", "unknown_issuer", with_hostile(_iss(value)))
        for name, value in [
            ("unknown", "https://evil.example/issuer"),
            ("trailing-slash", "{sh}/"),
            ("upper-case", "{sh_upper}"),
            ("https-instead-of-http", "{sh_https}"),
            ("trailing-space", "{sh} "),
            ("empty", ""),
        ]
    ),
    Case("iss-missing", "kid", "malformed", with_hostile(_iss(DROP))),
    Case("iss-int", "kid", "malformed", with_hostile(_iss(7))),
]

# --- typ and vct --------------------------------------------------------------------------

TYPE: list[Case] = [
    *(
        Case(f"typ-{name}", "type", "wrong_type", header(typ=value))
        for name, value in [
            ("missing", DROP),
            ("jwt", "JWT"),
            ("legacy-vc-sd-jwt", "vc+sd-jwt"),
            ("upper-case", "DC+SD-JWT"),
            ("kb-jwt", "kb+jwt"),
            ("status-list", "statuslist+jwt"),
            ("int", 1),
        ]
    ),
    *(
        Case(f"vct-{name}", "type", "wrong_type", payload(vct=value))
        for name, value in [
            ("missing", DROP),
            ("next-version", "urn:residence-permit:cn:v2"),
            ("upper-case", "URN:RESIDENCE-PERMIT:CN:V1"),
            ("empty", ""),
        ]
    ),
    # DESIGN §6 order: the header (typ) is checked before alg, and alg before the issuer.
    Case("typ-wrong-and-alg-none", "type", "wrong_type", header(typ="JWT", alg="none")),
]
