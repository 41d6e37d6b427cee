"""Status list attacks (DESIGN §4, §5): the token, the reference, and SSRF through both.

``status-list``: the token each case's own list path serves — wrong ``typ``, ``alg``, signer,
``sub``, ``iss``, expiry, compression (a zip bomb inflating to 16 MiB), size and content type;
the credential's index outside the list; revoked and suspended entries. Each is fetched once
from the issuer's own prefix, and the network guard checks that nothing else is.

``ssrf``: status URIs outside the issuer's ``status_list_prefixes`` — cloud metadata addresses,
``file:``, other hosts and ports (Redis's own), look-alike prefixes, dot segments, encoded
slashes, userinfo, other spellings of the loopback host — are ``status_invalid`` with **no
connection at all**; a list path that answers with a redirect is not followed
(``status_unavailable``: the list could not be obtained) and makes exactly one request.
"""

from __future__ import annotations

import zlib
from typing import Any

from tests.adversarial.builders import b64, status_ref, valid
from tests.adversarial.case import Builder, Case
from tests.adversarial.world import (
    ATTACKER,
    IDX,
    SH_EDDSA,
    SH_ES256,
    STATUS_SIZE,
    SZ_ES256,
    Ctx,
    kid,
)
from tests.hostile import DROP, changed
from wire.jwk import public_jwk
from wire.statuslist import STATUS_LIST_TYP

__all__ = ["SSRF", "STATUS_LIST"]

_TYP = "application/statuslist+jwt"


def _token(value: int = 0, **token: Any) -> Builder:
    """The case's list serves this token (``Ctx.publish`` options; a callable option is
    resolved with the context); the presentation itself is genuine."""

    def build(ctx: Ctx) -> str:
        ctx.publish(value, **{k: v(ctx) if callable(v) else v for k, v in token.items()})
        return valid()(ctx)

    return build


def _served(code: int, body: bytes | None = None, headers: dict[str, str] | None = None) -> Builder:
    """The case's list path answers ``code`` with ``body`` (default: a genuine token)."""

    def build(ctx: Ctx) -> str:
        ctx.serve(code, ctx.status_token().encode() if body is None else body, headers)
        return valid()(ctx)

    return build


def _head(**members: Any) -> Any:
    """The genuine token header with ``members`` changed (``DROP`` removes one)."""
    base = {"alg": "ES256", "typ": STATUS_LIST_TYP, "kid": kid(SH_ES256)}
    return changed(base, **members)


def _lst(raw: bytes, bits: Any = 2) -> dict[str, Any]:
    return {"bits": bits, "lst": b64(raw)}


_LIST = bytes(STATUS_SIZE * 2 // 8)
#: About 16 KiB of zlib that inflates to 16 MiB, twice the verifier's bound.
_ZIP_BOMB = _lst(zlib.compress(bytes(16 * 1024 * 1024), 9))
_ATTACKER_HEADER = {"alg": "ES256", "typ": STATUS_LIST_TYP, "kid": kid(ATTACKER)} | {
    "jwk": public_jwk(ATTACKER)
}


def _ref(**members: Any) -> Builder:
    """The credential's ``status_list`` reference with members changed (``DROP`` removes)."""
    return status_ref(
        lambda ctx: {"status_list": changed({"idx": IDX, "uri": ctx.status_uri}, **members)}
    )


def _now(offset: int) -> Any:
    return lambda ctx: ctx.now + offset


_INVALID_TOKENS: dict[str, Builder] = {
    "typ-jwt": _token(header=_head(typ="JWT")),
    "typ-missing": _token(header=_head(typ=DROP)),
    "typ-upper-case": _token(header=_head(typ="STATUSLIST+JWT")),
    "alg-none": _token(header=_head(alg="none")),
    "alg-hs256": _token(header=_head(alg="HS256")),
    "crit": _token(header=_head(crit=["exp"])),
    "kid-unknown": _token(header=_head(kid="unknown")),
    "kid-missing": _token(header=_head(kid=DROP)),
    "kid-of-another-issuer": _token(key=SZ_ES256),
    "signed-by-attacker-under-trusted-kid": _token(key=ATTACKER, header=_head()),
    "attacker-key-in-jwk-header": _token(key=ATTACKER, header=_ATTACKER_HEADER),
    "expired": _token(exp=_now(-1)),
    "expiring-exactly-now": _token(exp=_now(0)),
    "exp-missing": _token(exp=DROP),
    "exp-bool": _token(exp=True),
    "exp-float": _token(exp=lambda ctx: float(ctx.now + 3600)),
    "nbf-in-the-future": _token(nbf=_now(3600)),
    "iat-missing": _token(iat=DROP),
    "iss-of-another-issuer": _token(iss=lambda ctx: ctx.world.iss("sz")),
    "sub-of-another-list": _token(sub=lambda ctx: ctx.status_uri + "0"),
    "sub-of-the-prefix": _token(sub=lambda ctx: ctx.world.prefix("sh")),
    "sub-missing": _token(sub=DROP),
    "ttl-string": _token(ttl="300"),
    "zip-bomb-16-mib": _token(lst=_ZIP_BOMB),
    "zlib-with-trailing-bytes": _token(lst=_lst(zlib.compress(_LIST) + b"\x00")),
    "raw-deflate-not-zlib": _token(lst=_lst(zlib.compress(_LIST)[2:-4])),
    "truncated-zlib": _token(lst=_lst(zlib.compress(_LIST)[:-3])),
    "empty-list": _token(lst=_lst(zlib.compress(b""))),
    "lst-padded-base64": _token(lst={"bits": 2, "lst": b64(zlib.compress(_LIST)) + "="}),
    "bits-3": _token(lst=_lst(zlib.compress(_LIST), bits=3)),
    "bits-true": _token(lst=_lst(zlib.compress(_LIST), bits=True)),
    "status-list-missing": _token(status_list=DROP),
    "content-type-json": _token(content_type="application/json"),
    "content-type-text": _token(content_type="text/plain"),
    "content-type-missing": _served(200),
    "body-not-a-jwt": _served(200, b"not a status list", {"Content-Type": _TYP}),
    "body-non-ascii": _served(200, "状态".encode(), {"Content-Type": _TYP}),
    "body-over-4-mib": _served(200, b"a" * (4 * 1024 * 1024 + 1), {"Content-Type": _TYP}),
}

STATUS_LIST: list[Case] = [
    Case("status-revoked", "status-list", "revoked", _token(1)),
    Case("status-suspended", "status-list", "suspended", _token(2)),
    Case("status-value-3", "status-list", "status_invalid", _token(3), fetch=True),
    *(
        Case(f"status-token-{name}", "status-list", "status_invalid", build, fetch=True)
        for name, build in _INVALID_TOKENS.items()
    ),
    Case(
        "status-token-iss-of-the-issuer-accepted",
        "status-list",
        None,
        _token(iss=lambda ctx: ctx.world.iss("sh")),
    ),
    Case("status-token-eddsa-key-accepted", "status-list", None, _token(key=SH_EDDSA)),
    Case("status-token-ttl-huge-is-clamped", "status-list", None, _token(ttl=10**9)),
    Case("status-token-ttl-negative-is-clamped", "status-list", None, _token(ttl=-5)),
    Case(
        "status-token-bits-8-accepted",
        "status-list",
        None,
        _token(lst=_lst(zlib.compress(bytes(STATUS_SIZE)), bits=8)),
    ),
    Case(
        "status-content-type-with-parameter-accepted",
        "status-list",
        None,
        _token(content_type=_TYP + "; charset=us-ascii"),
    ),
    Case("status-http-404", "status-list", "status_unavailable", _served(404, b""), fetch=True),
    Case("status-http-500", "status-list", "status_unavailable", _served(500, b""), fetch=True),
    Case("status-idx-last-entry-accepted", "status-list", None, _ref(idx=STATUS_SIZE - 1)),
    Case(
        "status-idx-out-of-range",
        "status-list",
        "status_invalid",
        _ref(idx=STATUS_SIZE),
        fetch=True,
    ),
    Case("status-idx-2-pow-63", "status-list", "status_invalid", _ref(idx=2**63), fetch=True),
    *(
        Case(f"status-idx-{name}", "status-list", "status_invalid", _ref(idx=value))
        for name, value in [
            ("negative", -1),
            ("float", float(IDX)),
            ("string", str(IDX)),
            ("bool", True),
            ("null", None),
            ("missing", DROP),
        ]
    ),
    Case("status-uri-missing", "status-list", "status_invalid", _ref(uri=DROP)),
    Case("status-uri-not-a-string", "status-list", "status_invalid", _ref(uri=["x"])),
    *(
        Case(f"status-reference-{name}", "status-list", "status_invalid", status_ref(value))
        for name, value in [
            ("missing", DROP),
            ("string", "valid"),
            ("null", None),
            ("no-status-list", {"other": {}}),
            ("status-list-array", {"status_list": [IDX, "x"]}),
        ]
    ),
]

# --- SSRF ------------------------------------------------------------------------------------

#: Status URIs a credential may name but the verifier must never fetch. ``{base}`` is the
#: loopback server (``http://127.0.0.1:<port>/``), ``{port}`` its port, ``{path}`` the case's
#: own (published, valid) list path — so a wrongly accepted URI would visibly be fetched.
SSRF_URIS: dict[str, str] = {
    "metadata-ipv4": "http://169.254.169.254/latest/meta-data/",
    "metadata-ipv4-prefix-path": "http://169.254.169.254/sh/status/1",
    "metadata-ipv6": "http://[fd00:ec2::254]/latest/meta-data/",
    "metadata-hostname": "http://metadata.google.internal/computeMetadata/v1/",
    "file": "file:///etc/passwd",
    "gopher-to-redis": "gopher://127.0.0.1:6379/_INFO",
    "redis-port-on-loopback": "http://127.0.0.1:6379/sh/status/1",
    "other-host": "https://evil.example/status/1",
    "other-issuers-prefix": "{base}sz/status/1",
    "prefix-look-alike": "{base}sh/status-evil/1",
    "prefix-itself-without-slash": "{base}sh/status",
    "dot-dot-segments": "{base}sh/status/../../admin",
    "dot-segment": "{base}sh/status/./1",
    "encoded-slash": "{base}sh/status/..%2f..%2fadmin",
    "encoded-dots": "{base}sh/status/%2e%2e/%2e%2e/admin",
    "double-encoded-dots": "{base}sh/status/%252e%252e/admin",
    "backslashes": "{base}sh/status/..\\..\\admin",
    "userinfo-to-metadata": "http://127.0.0.1:{port}@169.254.169.254/{path}",
    "userinfo-on-loopback": "http://user:pw@127.0.0.1:{port}/{path}",
    "query": "{base}{path}?next=http://169.254.169.254/",
    "fragment": "{base}{path}#x",
    "empty-segment": "{base}sh/status//1",
    "localhost-name": "http://localhost:{port}/{path}",
    "ipv6-loopback": "http://[::1]:{port}/{path}",
    "decimal-ip": "http://2130706433:{port}/{path}",
    "hex-ip": "http://0x7f.0.0.1:{port}/{path}",
    "short-ip": "http://127.1:{port}/{path}",
    "https-same-host": "https://127.0.0.1:{port}/{path}",
    "default-port": "http://127.0.0.1/{path}",
    "leading-space": " {base}{path}",
    "non-ascii-path": "{base}sh/status/①",
    "overlong": "{base}sh/status/" + "a" * 3000,
    "relative": "/{path}",
    "scheme-relative": "//127.0.0.1:{port}/{path}",
    "javascript": "javascript:alert(1)",
    "data-url": "data:application/statuslist+jwt,eyJ",
}


def _uri(template: str) -> Builder:
    def uri(ctx: Ctx) -> str:
        server = ctx.world.server
        return template.format(
            base=server.base, port=ctx.world.port, path=ctx.status_path.lstrip("/")
        )

    return status_ref(lambda ctx: {"status_list": {"idx": IDX, "uri": uri(ctx)}})


def _redirect(code: int, location: str) -> Builder:
    """The case's own list path answers with a redirect to ``location``."""

    def build(ctx: Ctx) -> str:
        target = location.format(base=ctx.world.server.base)
        ctx.serve(code, b"", {"Location": target})
        return valid()(ctx)

    return build


SSRF: list[Case] = [
    *(
        Case(f"status-uri-{name}", "ssrf", "status_invalid", _uri(template))
        for name, template in SSRF_URIS.items()
    ),
    # The same URL spelled with an upper-case scheme is inside the prefix (schemes compare
    # case-insensitively) and is fetched from the right place, but the token's ``sub`` is the
    # lower-case URI: a mismatch.
    Case(
        "status-uri-upper-case-scheme",
        "ssrf",
        "status_invalid",
        _uri("HTTP://127.0.0.1:{port}/{path}"),
        fetch=True,
    ),
    *(
        Case(
            f"status-redirect-{code}-to-{name}",
            "ssrf",
            "status_unavailable",
            _redirect(code, target),
            fetch=True,
        )
        for code, name, target in [
            (302, "metadata", "http://169.254.169.254/latest/meta-data/"),
            (301, "another-list-of-the-prefix", "{base}sh/status/0"),
            (307, "file", "file:///etc/passwd"),
            (308, "redis", "http://127.0.0.1:6379/"),
            (303, "other-host", "https://evil.example/status/1"),
        ]
    ),
]
