"""Fuzzing ``check_presentation`` outwards from valid presentations (DESIGN §6, issue 7 §3).

A draw starts from a genuine presentation (ES256 issuer with an Ed25519 holder, Ed25519 issuer
with a P-256 holder, or a paper credential), for one of four profiles, and applies up to four
structured mutations: disclosures reordered, dropped, duplicated or foreign; a disclosure's
claim changed *consistently* (its digest replaced in the payload, so only the content
differs); values anywhere in the issuer JWT's header and payload or the KB-JWT replaced,
removed or added; random byte edits of the decoded JSON. The issuer JWT is then re-signed with
the trusted issuer key (``HostileIssuer``) and the KB-JWT with the holder key over the new
body, so each mutation reaches the check it targets instead of failing the signature. Finally
the text itself may be edited (segments swapped, characters changed, the KB-JWT dropped).

The property (tests/fuzz/pipeline.py): no exception, a reason out of the 21 codes, ``claims ==
{}`` when rejected, and valid exactly when the plain reference verifier says so, with the same
claims.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.pipeline import check
from tests.fuzz.strategies import (
    DELETE,
    JSON_VALUES,
    edited_bytes,
    fuzz_settings,
    mutated,
    with_value,
)
from tests.wire.conftest import (
    ATTACKER,
    BANK,
    EXP,
    HOLDER_EDDSA,
    HOLDER_ES256,
    ISSUER_EDDSA,
    ISSUER_ES256,
    NOW,
    STATUS_URI,
    HostileIssuer,
    issue,
    jws,
    present,
)
from wire.credential import IssuedCredential
from wire.disclosures import digest, make_disclosure
from wire.encoding import b64u_decode, b64u_encode
from wire.errors import Malformed
from wire.jwk import PrivateKey
from wire.presentation import QR_AUDIENCE, sd_hash
from wire.sdjwt import join_presentation, split_presentation

_NONCE = "nonce-0001"
_BANK_NONCE = "bank-nonce-0000000000000001"


@dataclass(frozen=True)
class _Base:
    credential: IssuedCredential
    issuer_key: PrivateKey
    holder: PrivateKey | None


@functools.cache
def _bases() -> tuple[_Base, ...]:
    return (
        _Base(issue(seed=31), ISSUER_ES256, HOLDER_EDDSA),
        _Base(
            issue(signing_key=ISSUER_EDDSA, holder=HOLDER_ES256, seed=32),
            ISSUER_EDDSA,
            HOLDER_ES256,
        ),
        _Base(issue(holder=None, seed=33), ISSUER_ES256, None),
    )


@dataclass(frozen=True)
class _Draft:
    """A presentation before signing: JSON values (or raw bytes once byte-edited)."""

    header: Any
    payload: Any
    disclosures: tuple[str, ...]
    issuer_key: PrivateKey
    kb_key: PrivateKey | None
    kb_header: Any
    kb_claims: Any
    keep_sd_hash: bool = False  # True: sign the sd_hash the KB claims hold, not the right one
    notes: tuple[str, ...] = field(default=())

    def render(self) -> str:
        body = join_presentation(
            jws(_raw(self.header), _raw(self.payload), self.issuer_key), self.disclosures, None
        )
        if self.kb_key is None:
            return body
        claims = self.kb_claims
        if isinstance(claims, dict) and not self.keep_sd_hash:
            claims = {**claims, "sd_hash": sd_hash(body)}
        return body + jws(_raw(self.kb_header), _raw(claims), self.kb_key)


def _raw(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def _start(base: _Base, profile: str) -> tuple[_Draft, str | None, str | None]:
    hostile = HostileIssuer(base.credential, key=base.issuer_key, holder=base.holder)
    # "any" requires nothing, so give it every disclosure: more claims for mutations to reach.
    chosen = present(base.credential, profile, holder=None)
    if profile == "any":
        chosen = base.credential.serialized
    bound = profile == "bank"
    audience, nonce = (BANK, _BANK_NONCE) if bound else (QR_AUDIENCE, _NONCE)
    alg = "EdDSA" if base.holder is HOLDER_EDDSA else "ES256"
    draft = _Draft(
        header=hostile.header,
        payload=hostile.payload,
        disclosures=split_presentation(chosen).disclosures,
        issuer_key=base.issuer_key,
        kb_key=base.holder,
        kb_header={"alg": alg, "typ": "kb+jwt"},
        kb_claims={"iat": NOW, "aud": audience, "nonce": nonce},
    )
    return draft, (BANK if bound else None), (_BANK_NONCE if bound else None)


# --- mutations --------------------------------------------------------------------------------

_NAMES = (
    "iss", "iat", "exp", "nbf", "vct", "cnf", "jwk", "status", "status_list", "idx", "uri",
    "_sd", "_sd_alg", "...", "alg", "typ", "kid", "crit", "jku", "x5c", "aud", "nonce",
    "sd_hash", "name", "residence_address",
)  # fmt: skip
_VALUES = JSON_VALUES | st.sampled_from(
    [
        NOW, NOW - 61, NOW + 61, NOW - 121, EXP, EXP + 61, NOW - 86_400, True, 1.0, -1,
        "ES256", "EdDSA", "none", "dc+sd-jwt", "kb+jwt", "sha-256", "SHA-256",
        "urn:residence-permit:cn:v1", "https://permits.sh.example/issuer", STATUS_URI,
        "https://permits.sh.example/status/../x", QR_AUDIENCE, BANK, _NONCE, "n" * 257, "",
        {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(bytes(32))}},
    ]
)  # fmt: skip


#: The members each check reads, for the "field" mutation: one value set precisely.
_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *(("header", (name,)) for name in ("alg", "typ", "kid", "crit", "jwk")),
    *(("payload", (name,)) for name in ("iss", "iat", "exp", "nbf", "vct", "_sd_alg", "cnf")),
    ("payload", ("cnf", "jwk")),
    ("payload", ("cnf", "jwk", "x")),
    ("payload", ("status",)),
    ("payload", ("status", "status_list", "idx")),
    ("payload", ("status", "status_list", "uri")),
    *(("kb_header", (name,)) for name in ("alg", "typ", "crit")),
    *(("kb_claims", (name,)) for name in ("iat", "aud", "nonce", "sd_hash")),
)


def _has_parent(value: Any, path: tuple[str, ...]) -> bool:
    for name in path[:-1]:
        if not isinstance(value, dict) or not isinstance(value.get(name), dict):
            return False
        value = value[name]
    return isinstance(value, dict)


def _replace_digest(draft: _Draft, old: str, new: str) -> _Draft:
    """Swap digest ``old`` for ``new`` wherever it is referenced: in the payload and inside
    other disclosures, whose own digests then change and are swapped in turn."""
    payload = draft.payload
    if isinstance(payload, bytes):
        payload = payload.replace(old.encode(), new.encode())
    else:
        payload = json.loads(_raw(payload).decode("utf-8", "surrogatepass").replace(old, new))
    disclosures = list(draft.disclosures)
    changes: list[tuple[str, str]] = []
    for index, encoded in enumerate(disclosures):
        raw = b64u_decode(encoded, Malformed)
        if old.encode() in raw:
            disclosures[index] = b64u_encode(raw.replace(old.encode(), new.encode()))
            changes.append((digest(encoded), digest(disclosures[index])))
    result = replace(draft, payload=payload, disclosures=tuple(disclosures))
    for before, after in changes:
        result = _replace_digest(result, before, after)
    return result


def _with(draft: _Draft, target: str, value: Any) -> _Draft:
    """``draft`` with one of its four JSON parts replaced."""
    if target == "header":
        return replace(draft, header=value)
    if target == "payload":
        return replace(draft, payload=value)
    if target == "kb_header":
        return replace(draft, kb_header=value)
    return replace(draft, kb_claims=value)


@st.composite
def _mutate(draw: st.DrawFn, draft: _Draft) -> _Draft:
    kind = draw(
        st.sampled_from(
            [
                "reorder", "drop", "duplicate", "foreign", "consistent", "header", "payload",
                "kb_header", "kb_claims", "bytes", "disclosure_bytes", "kb_key", "field", "field",
            ]
        )
    )  # fmt: skip
    disclosures = list(draft.disclosures)
    draft = replace(draft, notes=(*draft.notes, kind))
    if kind == "reorder":
        return replace(draft, disclosures=tuple(draw(st.permutations(disclosures))))
    if kind in ("drop", "duplicate", "consistent", "disclosure_bytes") and not disclosures:
        return draft
    index = draw(st.integers(0, max(len(disclosures) - 1, 0)))
    if kind == "drop":
        del disclosures[index]
        return replace(draft, disclosures=tuple(disclosures))
    if kind == "duplicate":
        disclosures.insert(draw(st.integers(0, len(disclosures))), disclosures[index])
        return replace(draft, disclosures=tuple(disclosures))
    if kind == "foreign":
        name = draw(st.none() | st.sampled_from(["name", "iss", "_sd_alg", "x"]))
        made = make_disclosure(name, draw(_VALUES), lambda: b"f" * 16)
        disclosures.insert(draw(st.integers(0, len(disclosures))), made.encoded)
        return replace(draft, disclosures=tuple(disclosures))
    if kind == "consistent":
        # The claim's content changes and the payload (or parent disclosure) follows.
        try:
            array = json.loads(b64u_decode(disclosures[index], Malformed))
        except ValueError:  # an earlier byte edit left no JSON to edit
            return draft
        if isinstance(array, list) and array and draw(st.booleans()):
            # Mostly the claim value, which keeps the disclosure well-formed.
            edited = [*array[:-1], draw(mutated(array[-1], values=_VALUES, min_edits=1))]
        else:
            edited = draw(mutated(array, values=_VALUES, min_edits=1, max_edits=2))
        new = b64u_encode(_raw(edited))
        draft = replace(draft, disclosures=(*disclosures[:index], new, *disclosures[index + 1 :]))
        return _replace_digest(draft, digest(disclosures[index]), digest(new))
    if kind == "disclosure_bytes":
        raw = draw(edited_bytes(b64u_decode(disclosures[index], Malformed)))
        disclosures[index] = b64u_encode(raw)
        return replace(draft, disclosures=tuple(disclosures))
    if kind == "field":
        target, path = draw(st.sampled_from(_FIELDS))
        value = getattr(draft, target)
        if not isinstance(value, dict) or not _has_parent(value, path):
            return draft
        new_value = draw(st.just(DELETE) | _VALUES)
        if target == "kb_claims" and path == ("sd_hash",):
            draft = replace(draft, keep_sd_hash=True)
        return _with(draft, target, with_value(value, path, new_value))
    if kind == "kb_key":
        key = draw(st.sampled_from([None, ATTACKER, HOLDER_ES256, HOLDER_EDDSA]))
        return replace(draft, kb_key=key)
    if kind == "bytes":
        target = draw(st.sampled_from(["header", "payload"]))
        raw = draw(edited_bytes(_raw(getattr(draft, target))))
        return _with(draft, target, raw)
    target = kind
    value = getattr(draft, target)
    if isinstance(value, bytes):
        return draft
    new_value = draw(mutated(value, names=_NAMES, values=_VALUES, min_edits=1, max_edits=2))
    if target == "kb_claims":
        return replace(draft, kb_claims=new_value, keep_sd_hash=draw(st.booleans()))
    return _with(draft, target, new_value)


@st.composite
def _text_edit(draw: st.DrawFn, text: str) -> str:
    kind = draw(st.sampled_from(["swap", "char", "strip_kb", "newline"]))
    pieces = text.split("~")
    if kind == "swap":
        i, j = draw(st.integers(0, len(pieces) - 1)), draw(st.integers(0, len(pieces) - 1))
        pieces[i], pieces[j] = pieces[j], pieces[i]
        return "~".join(pieces)
    if kind == "strip_kb":
        return "~".join([*pieces[:-1], ""])
    if kind == "newline":
        return text + draw(st.sampled_from(["\n", "\r\n", "\n\n", " "]))
    at = draw(st.integers(0, len(text) - 1))
    char = draw(st.sampled_from("AQgw-_~.=+/ \x00é"))
    return text[:at] + char + text[at + 1 :]


@st.composite
def _cases(draw: st.DrawFn) -> dict[str, Any]:
    base = draw(st.sampled_from(_bases()))
    profile = draw(st.sampled_from(["landlord", "any", "bank", "school"]))
    draft, audience, nonce = _start(base, profile)
    for _ in range(draw(st.integers(0, 4))):
        draft = draw(_mutate(draft))
    text = draft.render()
    if draw(st.integers(0, 4)) == 0:
        text = draw(_text_edit(text))
    return {
        "text": text,
        "profile": profile,
        "audience": audience,
        "nonce": nonce,
        # Half the cases verify at the presentation's time with a valid status, so that the
        # mutations (not the clock or the status) decide most outcomes.
        "now": draw(st.just(NOW) | st.sampled_from([NOW + 125, NOW - 61, EXP + 61])),
        "status": draw(st.just(0) | st.sampled_from([1, 2, 7])),
        "mutations": draft.notes,
    }


@fuzz_settings(200)
@given(_cases())
def test_mutated_presentations_are_valid_exactly_when_the_reference_says_so(
    case: dict[str, Any],
) -> None:
    check(
        case["text"],
        case["profile"],
        now=case["now"],
        status=case["status"],
        audience=case["audience"],
        nonce=case["nonce"],
    )


def test_the_unmutated_starting_points_are_valid() -> None:
    """Without this the property above could pass by rejecting everything."""
    for base in _bases():
        for profile in ("landlord", "any", "bank", "school"):
            draft, audience, nonce = _start(base, profile)
            result = check(draft.render(), profile, now=NOW, audience=audience, nonce=nonce)
            paper_for_bound = base.holder is None and profile in ("any", "bank")
            assert result.valid != paper_for_bound, (profile, result.reason)
