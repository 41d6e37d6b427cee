"""The verifier's parsing fast path against a plain reference parser.

``wire.verify`` parses a presentation with one translation and one split of the whole text
and finds parts by offset (see docs/reason-codes.md for the checks themselves). These
properties pin that it decides exactly what the plain parser decides: the same reason code
for the same input, and the same parts when it accepts. The reference is written with the
general helpers (``split_presentation``, ``parse_compact``, ``parse_disclosure``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wire.conftest import HOLDER_ES256, HostileIssuer, issue, present
from wire.disclosures import parse_disclosure
from wire.errors import HolderBindingInvalid, Malformed, PayloadTooLarge, VerificationError
from wire.jws import parse_compact
from wire.sdjwt import split_presentation
from wire.verify import VerifyPolicy
from wire.verify._parse import parse_presentation

POLICY = VerifyPolicy()


def _reference_parse(text: str, policy: VerifyPolicy) -> dict[str, Any]:
    """The parsing step written plainly (``parse_presentation``'s shape before tuning)."""
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if len(text.encode("utf-8", "surrogatepass")) > policy.max_presentation:
        raise PayloadTooLarge()
    if text.count("~") > policy.max_disclosures + 1:
        raise PayloadTooLarge()
    if not text.isascii():
        raise Malformed()
    parts = split_presentation(text)
    jws = parse_compact(parts.issuer_jwt, Malformed)
    disclosures = [parse_disclosure(encoded) for encoded in parts.disclosures]
    kb = parse_compact(parts.kb_jwt, HolderBindingInvalid) if parts.kb_jwt else None
    payload = jws.payload
    if not isinstance(payload.get("iss"), str):
        raise Malformed()
    for name in ("iat", "exp"):
        if type(payload.get(name)) is not int:
            raise Malformed()
    if "nbf" in payload and type(payload["nbf"]) is not int:
        raise Malformed()
    for name, kind in (("vct", str), ("_sd_alg", str), ("cnf", dict), ("_sd", list)):
        if name in payload and not isinstance(payload[name], kind):
            raise Malformed()
    return {
        "jws": (jws.header, jws.payload, jws.signing_input, jws.signature),
        "disclosed": {d.digest: (d.name, d.value) for d in disclosures},
        "count": len(disclosures),
        "kb": None if kb is None else (kb.header, kb.payload, kb.signing_input, kb.signature),
        "sd_hash_input": parts.without_kb.encode("ascii"),
        "times": (payload["iat"], payload["exp"], payload.get("nbf")),
    }


def _fast_parse(text: str, policy: VerifyPolicy) -> dict[str, Any]:
    parsed = parse_presentation(text, policy)
    return {
        "jws": tuple(parsed.jws),
        "disclosed": parsed.disclosed,
        "count": parsed.disclosure_count,
        "kb": None if parsed.kb is None else tuple(parsed.kb),
        "sd_hash_input": parsed.sd_hash_input,
        "times": (parsed.iat, parsed.exp, parsed.nbf),
    }


def _outcome(parse: Any, text: str, policy: VerifyPolicy = POLICY) -> Any:
    try:
        return parse(text, policy)
    except VerificationError as error:
        return type(error)


@functools.cache
def _samples() -> tuple[str, ...]:
    """Accepted presentations: Ed25519 and ES256 holders, a paper one, one with a CRLF."""
    es256_holder = issue(holder=HOLDER_ES256, seed=3)
    return (
        present(issue(), "landlord"),
        present(issue(), "any"),
        present(es256_holder, "school"),
        present(issue(holder=None), "landlord", holder=None),
        present(issue(), "landlord") + "\r\n",
    )


@pytest.fixture(scope="module")
def samples() -> tuple[str, ...]:
    return _samples()


def test_accepted_presentations_parse_to_the_same_parts(samples: tuple[str, ...]) -> None:
    for text in samples:
        assert _fast_parse(text, POLICY) == _reference_parse(text, POLICY)


EDIT_CHARACTERS = "AQgw09-_+/=~. \t\r\n*é\x00\ud800"


@settings(deadline=None, max_examples=400)
@given(
    st.integers(min_value=0, max_value=4),
    st.lists(
        st.tuples(
            st.sampled_from(["insert", "replace", "delete", "cut"]),
            st.floats(min_value=0, max_value=1),
            st.sampled_from(EDIT_CHARACTERS),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_edited_presentations_get_the_same_outcome(
    which: int, edits: list[tuple[str, float, str]]
) -> None:
    text = _samples()[which]
    for kind, where, character in edits:
        at = int(where * len(text))
        if kind == "insert":
            text = text[:at] + character + text[at:]
        elif kind == "replace":
            text = text[:at] + character + text[at + 1 :]
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at]
    assert _outcome(_fast_parse, text) == _outcome(_reference_parse, text)


def _structural_variants(text: str) -> list[str]:
    """Every single edit of the structure: each ``~`` and ``.`` doubled, dropped or swapped for
    the other, and each of them inserted at the start and the end of every part."""
    variants = []
    for at, character in enumerate(text):
        if character in "~.":
            other = "." if character == "~" else "~"
            variants += [
                text[:at] + character + text[at:],
                text[:at] + text[at + 1 :],
                text[:at] + other + text[at + 1 :],
            ]
            for inserted in "~.":
                variants += [
                    text[:at] + inserted + text[at:],
                    text[: at + 1] + inserted + text[at + 1 :],
                ]
    return [*variants, "~" + text, "." + text, text + "~", text + ".", text + "~~"]


def test_structural_edits_get_the_same_outcome(samples: tuple[str, ...]) -> None:
    for text in samples:
        for variant in _structural_variants(text):
            assert _outcome(_fast_parse, variant) == _outcome(_reference_parse, variant)


def test_size_limits_give_the_same_outcome(samples: tuple[str, ...]) -> None:
    text = samples[0]
    for policy in (
        VerifyPolicy(max_presentation=len(text)),
        VerifyPolicy(max_presentation=len(text) - 1),
        VerifyPolicy(max_disclosures=text.count("~") - 1),
        VerifyPolicy(max_disclosures=text.count("~") - 2),
    ):
        for variant in (text, text + "é", "é" + "~" * 70, "~" * 70):
            fast = _outcome(_fast_parse, variant, policy)
            assert fast == _outcome(_reference_parse, variant, policy)


def test_hostile_parts_give_the_same_outcome(hostile: HostileIssuer) -> None:
    jwt = hostile.issuer_jwt()
    header, payload, signature = jwt.split(".")
    variants = [
        hostile.present(jwt=f"{header}.{payload}"),
        hostile.present(jwt=f"{header}.{payload}.{signature}.x"),
        hostile.present(jwt=f".{payload}.{signature}"),
        hostile.present(jwt=f"{header}..{signature}"),
        hostile.present(jwt=f"{header}.{payload}."),
        hostile.present(payload=b"[1]"),
        hostile.present(header=b"[]"),
        hostile.present(payload=changed_payload(hostile.payload, nbf=True)),
        hostile.present(payload=changed_payload(hostile.payload, nbf=None)),
        hostile.present(payload=changed_payload(hostile.payload, cnf=[])),
        hostile.present(disclosures=[*hostile.disclosures, hostile.disclosures[0]]),
        hostile.present(disclosures=[]),
        hostile.present(kb=False),
    ]
    for text in variants:
        assert _outcome(_fast_parse, text) == _outcome(_reference_parse, text)


def changed_payload(payload: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    return {**payload, **changes}
