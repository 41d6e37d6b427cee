"""SD-JWT disclosure abuse (RFC 9901 §4.2, §7.1; DESIGN §6), all under the trusted signature.

A disclosure that is not a well-formed array of 2 or 3 elements, or names a reserved or
always-visible claim, is ``invalid_disclosure``; one that does not match the signed digests
exactly once, in the right shape for its place, is ``disclosure_mismatch``; a digest structure
that is not what SD-JWT defines (non-string digest, ``_sd`` not a list, ``...`` outside an
array element) is ``malformed``; an ``_sd_alg`` other than ``sha-256`` is ``unsupported_alg``.

``profile``: a genuine presentation that lacks a claim the profile needs (an object path needs
every sub-claim) is ``insufficient_disclosure``, and its status is never fetched.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.adversarial.builders import b64, extra_disclosures, payload, with_hostile
from tests.adversarial.case import Builder, Case
from tests.adversarial.world import Ctx
from tests.hostile import DROP, HostileIssuer, changed
from wire.disclosures import RESERVED_NAMES, digest, make_disclosure
from wire.encoding import json_dumps
from wire.presentation import create_presentation
from wire.sdjwt import split_presentation

__all__ = ["DISCLOSURES", "PROFILE"]

ELEMENT = make_disclosure(None, "CN")
PROPERTY = make_disclosure("nationality", "CN")
OBJECT_ELEMENT = make_disclosure(None, {"...": ELEMENT.digest})


def _array(items: Any, *encoded: str) -> Builder:
    """A signed array claim ``nationalities`` (``items`` may use the context's hostile issuer),
    and ``encoded`` disclosures presented with it."""

    def build(ctx: Ctx, h: HostileIssuer) -> str:
        value = items(h) if callable(items) else items
        body = changed(h.payload, nationalities=value)
        return ctx.present(h, payload=body, disclosures=[*h.disclosures, *encoded])

    return with_hostile(build)


def _duplicate_listed(ctx: Ctx, h: HostileIssuer) -> str:
    """The (disclosed) name digest twice in the top-level ``_sd``."""
    name_digest = digest(h.disclosures[0])
    return ctx.present(h, payload=changed(h.payload, _sd=[*h.payload["_sd"], name_digest]))


def _decoy_listed_twice(ctx: Ctx, h: HostileIssuer) -> str:
    listed = {digest(d) for d in h.disclosures}
    decoy = next(d for d in h.payload["_sd"] if d not in listed)
    return ctx.present(h, payload=changed(h.payload, _sd=[*h.payload["_sd"], decoy]))


def _listed_in_two_places(ctx: Ctx, h: HostileIssuer) -> str:
    extra = {"_sd": [digest(h.disclosures[0])]}
    return ctx.present(h, payload=changed(h.payload, extra=extra))


def _same_disclosure_twice(ctx: Ctx, h: HostileIssuer) -> str:
    return ctx.present(h, disclosures=[*h.disclosures, h.disclosures[0]])


def _unreferenced(ctx: Ctx, h: HostileIssuer) -> str:
    stray = make_disclosure("name", "李四").encoded
    return ctx.present(h, disclosures=[*h.disclosures, stray])


def _from_another_credential(ctx: Ctx, h: HostileIssuer) -> str:
    other = ctx.hostile("sz").disclosures
    return ctx.present(h, disclosures=[*h.disclosures[:-1], other[-1]])


def _orphan_sub_claim(ctx: Ctx, h: HostileIssuer) -> str:
    """The district disclosure without the ``residence_address`` disclosure that lists it."""
    full = split_presentation(ctx.world.credentials["sh"].serialized).disclosures
    parents = [d for d in full if '"residence_address"' in _decoded(d)]
    kept = [d for d in h.disclosures if d not in parents]
    return ctx.present(h, disclosures=kept)


def _decoded(encoded: str) -> str:
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()


def _clear_and_disclosed(ctx: Ctx, h: HostileIssuer) -> str:
    """``name`` signed in the clear next to its own disclosure."""
    return ctx.present(h, payload=changed(h.payload, name="王五"))


def _processed_too_deep(ctx: Ctx, h: HostileIssuer) -> str:
    """Each disclosure within the nesting limit, the claims they build beyond it."""
    encoded: list[str] = []
    value: Any = "leaf"
    for _ in range(2):
        for _ in range(15):
            value = [value]
        disclosure = make_disclosure("d", value)
        encoded.append(disclosure.encoded)
        value = {"_sd": [disclosure.digest]}
    body = changed(h.payload, extra=value)
    return ctx.present(h, payload=body, disclosures=[*h.disclosures, *encoded])


def _raw(content: Any) -> str:
    return b64(json_dumps(content) if not isinstance(content, bytes) else content)


def _element_also_in_sd(ctx: Ctx) -> str:
    h = ctx.hostile()
    body = changed(
        h.payload,
        nationalities=[{"...": ELEMENT.digest}],
        _sd=sorted([*h.payload["_sd"], ELEMENT.digest]),
    )
    return ctx.present(h, payload=body, disclosures=[*h.disclosures, ELEMENT.encoded])


def _digest_not_a_string(ctx: Ctx, h: HostileIssuer) -> str:
    return ctx.present(h, payload=changed(h.payload, _sd=[*h.payload["_sd"], 1]))


MALFORMED_ARRAYS: dict[str, bytes] = {
    "object": b'{"salt":"s","name":"n","value":1}',
    "string": b'"x"',
    "number": b"1",
    "empty-array": b"[]",
    "one-element": b'["c2FsdA"]',
    "four-elements": b'["c2FsdA","name","value","extra"]',
    "salt-int": b'[1,"name","value"]',
    "salt-null": b'[null,"name","value"]',
    "salt-int-two-elements": b'[1,"value"]',
    "name-int": b'["c2FsdA",1,"value"]',
    "name-null": b'["c2FsdA",null,"value"]',
    "name-list": b'["c2FsdA",["name"],"value"]',
}

DISCLOSURES: list[Case] = [
    Case(
        "disclosure-unreferenced", "disclosures", "disclosure_mismatch", with_hostile(_unreferenced)
    ),
    Case(
        "disclosure-from-another-credential",
        "disclosures",
        "disclosure_mismatch",
        with_hostile(_from_another_credential),
    ),
    Case(
        "disclosure-presented-twice",
        "disclosures",
        "disclosure_mismatch",
        with_hostile(_same_disclosure_twice),
    ),
    Case(
        "digest-listed-twice", "disclosures", "disclosure_mismatch", with_hostile(_duplicate_listed)
    ),
    Case(
        "decoy-digest-listed-twice",
        "disclosures",
        "disclosure_mismatch",
        with_hostile(_decoy_listed_twice),
    ),
    Case(
        "digest-listed-in-two-objects",
        "disclosures",
        "disclosure_mismatch",
        with_hostile(_listed_in_two_places),
    ),
    Case(
        "two-disclosures-same-name",
        "disclosures",
        "disclosure_mismatch",
        extra_disclosures([make_disclosure("name", "李四").encoded]),
    ),
    Case(
        "disclosed-name-also-in-the-clear",
        "disclosures",
        "disclosure_mismatch",
        with_hostile(_clear_and_disclosed),
    ),
    Case(
        "custom-claim-in-the-clear-and-disclosed",
        "disclosures",
        "disclosure_mismatch",
        extra_disclosures([make_disclosure("note", "b").encoded], note="a"),
    ),
    Case(
        "sub-claim-without-its-parent",
        "disclosures",
        "disclosure_mismatch",
        with_hostile(_orphan_sub_claim),
    ),
    *(
        Case(
            f"reserved-name-{name.replace('_', '').replace('...', 'ellipsis').replace('#', '-')}",
            "disclosures",
            "invalid_disclosure",
            extra_disclosures([_raw(["c2FsdA", name, "https://evil.example"])]),
        )
        for name in sorted(RESERVED_NAMES)
    ),
    *(
        Case(
            f"not-a-disclosure-{name}",
            "disclosures",
            "invalid_disclosure",
            extra_disclosures([_raw(raw)]),
        )
        for name, raw in MALFORMED_ARRAYS.items()
    ),
    # Array elements: {"...": digest} must name a 2-element disclosure, and nothing else.
    Case(
        "array-element-disclosure-accepted",
        "disclosures",
        None,
        _array([{"...": ELEMENT.digest}, "plain"], ELEMENT.encoded),
        profile="any",
    ),
    Case(
        "array-element-points-at-object-disclosure",
        "disclosures",
        "disclosure_mismatch",
        _array([{"...": PROPERTY.digest}], PROPERTY.encoded),
    ),
    Case(
        "element-disclosure-listed-in-object-sd",
        "disclosures",
        "disclosure_mismatch",
        extra_disclosures([ELEMENT.encoded]),
    ),
    Case(
        "array-element-digest-twice",
        "disclosures",
        "disclosure_mismatch",
        _array([{"...": ELEMENT.digest}, {"...": ELEMENT.digest}], ELEMENT.encoded),
    ),
    Case(
        "array-element-digest-also-in-sd",
        "disclosures",
        "disclosure_mismatch",
        _element_also_in_sd,
    ),
    Case(
        "array-element-with-extra-member",
        "disclosures",
        "malformed",
        _array([{"...": ELEMENT.digest, "x": 1}], ELEMENT.encoded),
    ),
    Case("array-element-digest-not-a-string", "disclosures", "malformed", _array([{"...": 1}])),
    Case(
        "array-element-whose-value-is-a-digest-object",
        "disclosures",
        "malformed",
        _array([{"...": OBJECT_ELEMENT.digest}], OBJECT_ELEMENT.encoded, ELEMENT.encoded),
    ),
    Case("ellipsis-outside-an-array", "disclosures", "malformed", payload(extra={"...": "x"})),
    Case("sd-not-a-list", "disclosures", "malformed", payload(_sd="digest")),
    Case("sd-digest-not-a-string", "disclosures", "malformed", with_hostile(_digest_not_a_string)),
    Case("nested-sd-not-a-list", "disclosures", "malformed", payload(extra={"_sd": {"a": 1}})),
    Case(
        "sd-inside-a-disclosure-not-a-list",
        "disclosures",
        "malformed",
        extra_disclosures([make_disclosure("extra", {"_sd": "x"}).encoded]),
    ),
    Case(
        "processed-claims-nested-33", "disclosures", "malformed", with_hostile(_processed_too_deep)
    ),
    *(
        Case(f"sd-alg-{name}", "disclosures", "unsupported_alg", payload(_sd_alg=value))
        for name, value in [
            ("sha-512", "sha-512"),
            ("upper-case", "SHA-256"),
            ("no-dash", "sha256"),
            ("sha-384", "sha-384"),
            ("empty", ""),
            ("none", "none"),
        ]
    ),
    Case("sd-alg-null", "disclosures", "malformed", payload(_sd_alg=None)),
    Case("sd-alg-int", "disclosures", "malformed", payload(_sd_alg=256)),
    Case("sd-alg-absent-means-sha-256", "disclosures", None, payload(_sd_alg=DROP)),
]


# --- profile sufficiency ------------------------------------------------------------------


def _disclosing(paths: tuple[str, ...]) -> Builder:
    """A genuine presentation disclosing exactly ``paths``."""

    def build(ctx: Ctx) -> str:
        h = ctx.hostile()
        chosen = create_presentation(h.base.serialized, paths, holder_key=None)
        return ctx.present(h, disclosures=split_presentation(chosen).disclosures)

    return build


_LANDLORD = ("name", "permit_class", "residence_address.district", "endorsed_until")
_BANK = ("name", "id_number", "residence_address", "endorsed_until")

PROFILE: list[Case] = [
    *(
        Case(f"landlord-without-{path}", "profile", "insufficient_disclosure", _disclosing(rest))
        for path in _LANDLORD
        for rest in [tuple(p for p in _LANDLORD if p != path)]
    ),
    Case(
        "bank-without-id-number",
        "profile",
        "insufficient_disclosure",
        _disclosing(("name", "residence_address", "endorsed_until")),
        profile="bank",
    ),
    Case(
        "bank-address-without-street",
        "profile",
        "insufficient_disclosure",
        _disclosing(
            (
                "name",
                "id_number",
                "residence_address.district",
                "residence_address.region_code",
                "endorsed_until",
            )
        ),
        profile="bank",
    ),
    Case("nothing-disclosed", "profile", "insufficient_disclosure", _disclosing(())),
    Case("bank-all-claims-accepted", "profile", None, _disclosing(_BANK), profile="bank"),
]
