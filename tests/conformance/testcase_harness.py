"""Harness of the reference test cases of sd-jwt-python (YAML) and sd-jwt-js (JSON).

The tests are ``test_testcases_python.py`` and ``test_testcases_js.py``; this module holds
what both use: loading each format, the holders, issuing, presenting and verifying.

Data: ``tests/fixtures/vectors/sd-jwt-python-testcases/`` and ``sd-jwt-js-testcases/`` (README
there). The cases hold inputs and expected claims, no tokens, so each one is *issued* with the
generic :func:`wire.sdjwt.conceal` (the ``!sd`` tags or the ``disclosureFrame`` translated into
our frame format ``{"_sd": [names or indices], "<child>": {...}}``), signed with
:func:`wire.jws.sign_compact` using the published example issuer key, *presented* with the
disclosures the case selects (the holder logic of each upstream library, re-implemented
here), and *verified* two ways:

* generic: issuer signature, :func:`wire.sdjwt.process_payload`, KB-JWT; the processed claims
  must equal the case's expected claims (plus ``iss``/``cnf`` where the upstream harness adds
  them), exactly as the upstream harness compares;
* full: the same claims wrapped as an SD-JWT VC (``typ`` ``dc+sd-jwt``, ``kid``, ``iat``,
  ``exp``, ``vct``, ``status``, decoys at every framed object) through
  :func:`wire.verify.check_presentation`; it must accept and return exactly the expected claims.

Cases in the JWS JSON serialization are skipped: this project supports only the compact form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from tests.conformance.harness import (
    StaticDirectory,
    StaticIssuer,
    StatusStub,
    check_key_binding,
    private_key_from_jwk,
    profile,
    public_key_from_jwk,
    uri_allowed,
    verified_issuer_jwt,
)
from tests.vectors import vectors_dir
from wire.disclosures import Disclosure
from wire.jwk import public_jwk, thumbprint
from wire.jws import sign_compact
from wire.presentation import KB_TYP, sd_hash
from wire.sdjwt import SD_ALG, conceal, join_presentation, process_payload, split_presentation
from wire.verify import VerificationResult, VerifyPolicy, check_presentation

PY_DIR = vectors_dir() / "sd-jwt-python-testcases"
JS_DIR = vectors_dir() / "sd-jwt-js-testcases"
JSON_SKIP = "JWS JSON serialization: this project supports only the compact serialization"

PY_SETTINGS: dict[str, Any] = yaml.safe_load((PY_DIR / "settings.yml").read_text("utf-8"))
ISSUER_JWK: dict[str, Any] = PY_SETTINGS["key_settings"]["issuer_keys"][0]
HOLDER_JWK: dict[str, Any] = PY_SETTINGS["key_settings"]["holder_key"]
ISSUER_KEY = private_key_from_jwk(ISSUER_JWK)
HOLDER_KEY = private_key_from_jwk(HOLDER_JWK)
ISSUER_PUBLIC = public_key_from_jwk(ISSUER_JWK)
ISSUER_KID = thumbprint(public_jwk(ISSUER_KEY))
ISS: str = PY_SETTINGS["identifiers"]["issuer"]
VERIFIER: str = PY_SETTINGS["identifiers"]["verifier"]
NONCE: str = PY_SETTINGS["key_binding_nonce"]
IAT: int = PY_SETTINGS["iat"]
EXP: int = PY_SETTINGS["exp"]
#: The clock of every check and the KB-JWT ``iat``: an hour after issuance.
NOW = IAT + 3600
TEST_VCT = "urn:example:conformance:testcase"
STATUS_PREFIX = "https://example.com/statuslists/"


# --- the YAML format: !sd tags ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Sd:
    """A value or key tagged ``!sd``; identity-hashed so tagged keys can be mapping keys."""

    value: Any


class _SdLoader(yaml.SafeLoader):
    """SafeLoader plus the ``!sd`` tag of sd-jwt-python's specification files."""


def _construct_sd(loader: yaml.SafeLoader, node: yaml.Node) -> Sd:
    if isinstance(node, yaml.ScalarNode):
        if node.style in ('"', "'"):
            return Sd(loader.construct_scalar(node))
        # A tag replaces the implicit type resolution, so resolve the plain scalar as if it
        # were untagged (``!sd 42`` is the integer 42, ``!sd null`` is null).
        tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
        return Sd(loader.construct_object(yaml.ScalarNode(tag, node.value), deep=True))
    if isinstance(node, yaml.MappingNode):
        return Sd(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Sd(loader.construct_sequence(node, deep=True))
    raise TypeError(f"unsupported node for !sd: {node!r}")


_SdLoader.add_constructor("!sd", _construct_sd)


def load_python_case(name: str) -> dict[str, Any]:
    """A case's ``specification.yml``, ``!sd`` tags kept as :class:`Sd`."""
    text = (PY_DIR / name / "specification.yml").read_text("utf-8")
    case: dict[str, Any] = yaml.load(text, Loader=_SdLoader)
    return case


def frame_from_tagged(value: Any) -> tuple[Any, dict[str, Any]]:
    """Split ``!sd``-tagged claims into plain claims and our issuance frame."""
    frame: dict[str, Any] = {}
    selected: list[str | int] = []
    if isinstance(value, dict):
        claims: dict[str, Any] = {}
        for key, item in value.items():
            name = key.value if isinstance(key, Sd) else key
            assert isinstance(name, str), "claim names are strings"
            claims[name], sub_frame = frame_from_tagged(item)
            if isinstance(key, Sd):
                selected.append(name)
            if sub_frame:
                frame[name] = sub_frame
        if selected:
            frame["_sd"] = selected
        return claims, frame
    if isinstance(value, list):
        items: list[Any] = []
        for index, item in enumerate(value):
            plain, sub_frame = frame_from_tagged(item.value if isinstance(item, Sd) else item)
            items.append(plain)
            if isinstance(item, Sd):
                selected.append(index)
            if sub_frame:
                frame[str(index)] = sub_frame
        if selected:
            frame["_sd"] = selected
        return items, frame
    assert not isinstance(value, Sd), "!sd on a value must sit on a key or an array element"
    return value, frame


# --- the JSON format: disclosureFrame -----------------------------------------------------------


def frame_from_js(
    js_frame: Mapping[str, Any], path: str = ""
) -> tuple[dict[str, Any], dict[str, int]]:
    """sd-jwt-js ``disclosureFrame`` -> our frame plus ``decoys`` by conceal's frame path.

    The formats agree except for ``_sd_decoy: n``, which becomes ``decoys[path] = n``. Paths
    follow :func:`wire.sdjwt.conceal`: ``""`` at the top, then ``parent.child`` for object
    members and array indices alike.
    """
    frame: dict[str, Any] = {}
    decoys: dict[str, int] = {}
    for key, value in js_frame.items():
        if key == "_sd_decoy":
            decoys[path] = value
        elif key == "_sd":
            frame["_sd"] = list(value)
        else:
            frame[key], sub_decoys = frame_from_js(value, f"{path}.{key}".lstrip("."))
            decoys.update(sub_decoys)
    return frame, decoys


def load_js_case(name: str) -> dict[str, Any]:
    """A ``<name>.json`` case (read by the YAML loader: JSON is a subset of YAML)."""
    case: dict[str, Any] = yaml.safe_load((JS_DIR / f"{name}.json").read_text("utf-8"))
    return case


# --- holder: choosing disclosures -----------------------------------------------------------


class Holder:
    """Walks an issued payload and picks disclosures the way each upstream holder does.

    Array positions are counted over real elements only (decoy digests, which no disclosure
    matches, take no position), so selections keep meaning the issued array's indices.
    """

    def __init__(self, disclosures: Sequence[Disclosure]) -> None:
        self._by_digest = {d.digest: d for d in disclosures}
        self.chosen: list[Disclosure] = []

    def _digest_element(self, item: Any) -> tuple[bool, Disclosure | None]:
        if isinstance(item, dict) and len(item) == 1 and "..." in item:
            return True, self._by_digest.get(item["..."])
        return False, None

    def python(self, value: Any, spec: Any) -> None:
        """sd-jwt-python ``SDJWTHolder._select_disclosures``: a truthy entry discloses, a
        nested object/array entry discloses and recurses, ``True`` for a container discloses
        it without its own selectively disclosable parts. One deliberate difference: upstream
        also recurses into a claim it did not disclose (sending orphan disclosures, which
        RFC 9901 §7.1 step 5 makes a verifier reject); no case depends on it."""
        if spec is None or spec == "None":  # README: the string None means "not disclosed"
            return
        if isinstance(value, dict):
            spec = {} if spec is True else spec
            assert isinstance(spec, dict)
            for key, item in value.items():
                if key != "_sd":
                    self.python(item, spec.get(key))
            for digest in value.get("_sd", []):
                disclosure = self._by_digest.get(digest)
                if disclosure is not None and spec.get(disclosure.name):
                    self.chosen.append(disclosure)
                    self.python(disclosure.value, spec[disclosure.name])
        elif isinstance(value, list):
            spec = [] if spec is True else spec
            assert isinstance(spec, list)
            position = 0
            for item in value:
                is_digest, disclosure = self._digest_element(item)
                if is_digest and disclosure is None:
                    continue  # a decoy
                entry = spec[position] if position < len(spec) else None
                position += 1
                if disclosure is None:
                    self.python(item, entry)
                elif entry not in (False, None, "None"):
                    self.chosen.append(disclosure)
                    self.python(disclosure.value, entry)

    def js(self, value: Any, frame: Any) -> None:
        """sd-jwt-js ``presentationFrame``: a key (or index) mapped to ``true`` discloses that
        claim only; mapped to an object, it discloses the claim and applies the object to it."""
        if not isinstance(frame, dict):
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if key != "_sd":
                    self.js(item, frame.get(key))
            for digest in value.get("_sd", []):
                disclosure = self._by_digest.get(digest)
                if disclosure is None:
                    continue
                selection = frame.get(disclosure.name)
                if selection is True or isinstance(selection, dict):
                    self.chosen.append(disclosure)
                    self.js(disclosure.value, selection)
        elif isinstance(value, list):
            position = 0
            for item in value:
                is_digest, disclosure = self._digest_element(item)
                if is_digest and disclosure is None:
                    continue
                selection = frame.get(str(position))
                position += 1
                if disclosure is None:
                    self.js(item, selection)
                elif selection is True or isinstance(selection, dict):
                    self.chosen.append(disclosure)
                    self.js(disclosure.value, selection)


# --- issuance and presentation ------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """An issued SD-JWT with every disclosure, from which a holder picks."""

    issuer_jwt: str
    payload: dict[str, Any]
    disclosures: list[Disclosure]


def issue(
    claims: dict[str, Any],
    frame: Mapping[str, Any],
    *,
    header: Mapping[str, Any],
    visible: Mapping[str, Any],
    key_binding: bool,
    decoys: Mapping[str, int] | None = None,
) -> Issued:
    """Conceal per ``frame`` and sign with the published example issuer key (``cnf`` binds
    the example holder key), as the upstream harnesses issue."""
    body, disclosures = conceal(claims, frame, decoys=decoys)
    payload = {**visible, **body, "_sd_alg": SD_ALG}
    if key_binding:
        payload["cnf"] = {"jwk": public_jwk(HOLDER_KEY)}
    return Issued(sign_compact(header, payload, ISSUER_KEY), payload, disclosures)


def present(issued: Issued, chosen: Sequence[Disclosure], *, key_binding: bool) -> str:
    """The chosen disclosures in issuance order, and a KB-JWT when the case is key-bound."""
    picked = {d.encoded for d in chosen}
    assert len(picked) == len(chosen), "a disclosure was chosen twice"
    body = join_presentation(
        issued.issuer_jwt, [d.encoded for d in issued.disclosures if d.encoded in picked], None
    )
    if not key_binding:
        return body
    kb_payload = {"iat": NOW, "aud": VERIFIER, "nonce": NONCE, "sd_hash": sd_hash(body)}
    return body + sign_compact({"typ": KB_TYP}, kb_payload, HOLDER_KEY)


def verify_generic(
    presentation: str, *, key_binding: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Generic verification; returns the issuer JWT header and the processed claims."""
    parts = split_presentation(presentation)
    jws = verified_issuer_jwt(parts.issuer_jwt, ISSUER_PUBLIC)
    claims, _ = process_payload(jws.payload, parts.disclosures)
    if key_binding:
        check_key_binding(
            parts, cnf_jwk=jws.payload["cnf"]["jwk"], aud=VERIFIER, nonce=NONCE, iat=NOW
        )
    else:
        assert parts.kb_jwt is None
    return jws.header, claims


def framed_object_paths(value: Any, frame: Mapping[str, Any], path: str = "") -> list[str]:
    """Conceal's path of every object the frame reaches: where decoys can be asked for."""
    paths: list[str] = []
    if isinstance(value, dict):
        paths.append(path)
        for key, item in value.items():
            if isinstance(frame.get(key), Mapping):
                paths += framed_object_paths(item, frame[key], f"{path}.{key}".lstrip("."))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(frame.get(str(index)), Mapping):
                paths += framed_object_paths(item, frame[str(index)], f"{path}.{index}")
    return paths


def decoy_count(value: Any, known: set[str]) -> int:
    """Digests in a payload (or a disclosed value) that match no disclosure."""
    if isinstance(value, dict):
        own = sum(1 for d in value.get("_sd", []) if d not in known)
        return own + sum(decoy_count(v, known) for k, v in value.items() if k != "_sd")
    if isinstance(value, list):
        return sum(
            (1 if item["..."] not in known else 0)
            if isinstance(item, dict) and set(item) == {"..."}
            else decoy_count(item, known)
            for item in value
        )
    return 0


def full_verify(
    claims: dict[str, Any],
    frame: Mapping[str, Any],
    select: Any,
    *,
    key_binding: bool,
    extra_header: Mapping[str, Any] | None = None,
) -> VerificationResult:
    """Issue the claims as an SD-JWT VC with two decoys in every framed object, present the
    selection and run the full verifier, which must see a trusted, unrevoked credential."""
    decoys = dict.fromkeys(framed_object_paths(claims, frame), 2)
    visible = {
        "iss": ISS,
        "iat": IAT,
        "exp": EXP,
        "vct": TEST_VCT,
        "status": {"status_list": {"idx": 5, "uri": STATUS_PREFIX + "1"}},
    }
    issued = issue(
        claims,
        frame,
        header={"typ": "dc+sd-jwt", "kid": ISSUER_KID, **(extra_header or {})},
        visible=visible,
        key_binding=key_binding,
        decoys=decoys,
    )
    known = {d.digest for d in issued.disclosures}
    found = decoy_count(issued.payload, known)
    found += sum(decoy_count(d.value, known) for d in issued.disclosures)
    assert found == 2 * len(decoys)
    holder = Holder(issued.disclosures)
    select(holder, issued.payload)
    directory = StaticDirectory([StaticIssuer(ISS, {ISSUER_KID: ISSUER_PUBLIC}, (STATUS_PREFIX,))])
    return check_presentation(
        present(issued, holder.chosen, key_binding=key_binding),
        profile=profile(key_bound=key_binding),
        directory=directory,
        now=NOW,
        status_lookup=StatusStub(value=0),
        uri_allowed=uri_allowed,
        audience=VERIFIER if key_binding else None,
        nonce=NONCE if key_binding else None,
        policy=VerifyPolicy(credential_typ="dc+sd-jwt", vct=TEST_VCT),
    )
