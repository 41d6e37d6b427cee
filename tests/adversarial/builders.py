"""Builder factories shared by the catalogue modules: each returns a ``Ctx -> str`` builder.

They keep the case tables one line per attack: ``header(alg="none")`` re-signs the credential
with a changed JOSE header, ``payload(exp=...)`` with changed claims, ``kb(aud=...)`` changes a
KB-JWT claim, ``raw_jwt(header=b"...")`` signs exact bytes, and so on. Everything is signed
with the *trusted* key unless the attack is about the key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tests.adversarial.case import Builder
from tests.adversarial.world import Ctx
from tests.hostile import HOLDER_EDDSA, HostileIssuer, changed, kb_jwt
from wire.disclosures import digest
from wire.encoding import b64u_encode, json_dumps
from wire.presentation import sd_hash

__all__ = [
    "b64",
    "extra_disclosures",
    "header",
    "issuer_bytes",
    "kb",
    "kb_bytes",
    "payload",
    "raw_issuer",
    "status_ref",
    "valid",
    "with_hostile",
    "with_member",
]


def b64(data: bytes) -> str:
    return b64u_encode(data)


def valid(base: str = "sh") -> Builder:
    """The genuine presentation of credential ``base`` (re-signed, untouched)."""
    return lambda ctx: ctx.present(ctx.hostile(base))


def with_hostile(build: Callable[[Ctx, HostileIssuer], str], base: str = "sh") -> Builder:
    """A builder given the context and a fresh hostile issuer over ``base``."""
    return lambda ctx: build(ctx, ctx.hostile(base))


def header(base: str = "sh", /, **changes: Any) -> Builder:
    """The issuer-signed JWT re-signed with header members changed (``DROP`` removes)."""
    return with_hostile(lambda ctx, h: ctx.present(h, header=changed(h.header, **changes)), base)


def payload(base: str = "sh", /, **changes: Any) -> Builder:
    """The issuer-signed JWT re-signed with payload claims changed (``DROP`` removes)."""
    return with_hostile(lambda ctx, h: ctx.present(h, payload=changed(h.payload, **changes)), base)


def raw_issuer(*, header: bytes | None = None, payload: bytes | None = None) -> Builder:
    """The issuer-signed JWT over these exact header and/or payload bytes."""
    return lambda ctx: ctx.present(header=header, payload=payload)


def kb(base: str = "sh", /, **kwargs: Any) -> Builder:
    """A presentation whose KB-JWT claims (or ``kb_*`` options) are changed."""
    return lambda ctx: ctx.present(ctx.hostile(base), **kwargs)


def status_ref(status: Any) -> Builder:
    """The credential with this ``status`` claim (a callable gets the context)."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        value = status(ctx) if callable(status) else status
        return ctx.present(h, payload=changed(h.payload, status=value))

    return build


def extra_disclosures(
    encoded: Sequence[str] | Callable[[Ctx], Sequence[str]],
    *,
    listed: bool = True,
    **claims: Any,
) -> Builder:
    """The landlord disclosures plus ``encoded``; with ``listed`` their digests are added to the
    top-level ``_sd`` (so only their content can be wrong). ``claims`` change the payload."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        extra = list(encoded(ctx) if callable(encoded) else encoded)
        base = changed(h.payload, **claims)
        if listed:
            base["_sd"] = sorted([*base["_sd"], *(digest(e) for e in extra)])
        return ctx.present(h, payload=base, disclosures=[*h.disclosures, *extra])

    return build


def with_member(raw: bytes, member: bytes) -> bytes:
    """A JSON object's bytes with ``member`` (``b'"name":value'``) added first."""
    assert raw.startswith(b"{")
    return b"{" + member + (b"," if raw != b"{}" else b"") + raw[1:]


def issuer_bytes(transform: Callable[[bytes], bytes], *, part: str = "payload") -> Builder:
    """The issuer-signed JWT whose header or payload JSON bytes are ``transform``-ed, signed
    as they are with the trusted key."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        raw = transform(json_dumps(h.header if part == "header" else h.payload))
        return ctx.present(h, **{part: raw})

    return build


def kb_bytes(transform: Callable[[bytes], bytes]) -> Builder:
    """A KB-JWT by the genuine holder whose payload JSON bytes are ``transform``-ed."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        body = ctx.present(h, kb=False)
        claims = {"iat": ctx.now, "aud": ctx.audience, "nonce": ctx.nonce, "sd_hash": sd_hash(body)}
        return body + kb_jwt(body, HOLDER_EDDSA, payload=transform(json_dumps(claims)))

    return build
