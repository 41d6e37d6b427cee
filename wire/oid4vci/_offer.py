"""Credential Offer (OpenID4VCI 1.0 §4.1): build, serialise to a URI, parse strictly.

Only the Pre-Authorized Code grant is supported, so an offer without that grant is refused
with a message that says so rather than being accepted and failing later at the token request.
Parsing is for the wallet, which must treat the offer as untrusted input (§13, "Credential
Offer"): the result carries values only after they passed the same checks an issuer-built
offer passes in ``__post_init__``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, quote, urlsplit

from wire.encoding import json_dumps
from wire.oid4vci._base import (
    CONFIGURATION_ID,
    MAX_OFFER_CHARS,
    MAX_PARAM_CHARS,
    OFFER_SCHEME,
    PRE_AUTH_GRANT,
    InvalidCredentialOffer,
    check_url,
    is_int,
    is_text,
    load_message,
)

__all__ = [
    "CredentialOffer",
    "CredentialOfferReference",
    "TxCode",
    "parse_offer_json",
    "parse_offer_uri",
]

InputMode = Literal["numeric", "text"]
_INPUT_MODES: Final = ("numeric", "text")
#: §4.1.1: ``description`` "MUST NOT exceed 300 characters".
MAX_TX_DESCRIPTION: Final = 300
MAX_TX_LENGTH: Final = 64
MAX_CONFIGURATION_IDS: Final = 32


@dataclass(frozen=True, slots=True)
class TxCode:
    """The ``tx_code`` object of a Pre-Authorized Code grant (OpenID4VCI 1.0 §4.1.1).

    Its presence (even empty) tells the wallet to ask the End-User for a Transaction Code and
    send it in the Token Request; the members only help render the input screen. The issuer
    sends the code itself over a second channel (SMS, or printed at the counter).
    """

    input_mode: InputMode | None = None
    length: int | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.input_mode is not None and self.input_mode not in _INPUT_MODES:
            raise ValueError("tx_code input_mode must be numeric or text")
        if self.length is not None and (
            not is_int(self.length) or not 0 < self.length <= MAX_TX_LENGTH
        ):
            raise ValueError("tx_code length must be an integer from 1 to 64")
        if self.description is not None and not is_text(self.description, MAX_TX_DESCRIPTION):
            raise ValueError("tx_code description must be 1 to 300 characters")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.input_mode is not None:
            out["input_mode"] = self.input_mode
        if self.length is not None:
            out["length"] = self.length
        if self.description is not None:
            out["description"] = self.description
        return out

    @classmethod
    def from_json(cls, obj: object) -> TxCode:
        """Parse a ``tx_code`` object; unknown members are ignored (§4.1.1)."""
        if not isinstance(obj, dict):
            raise InvalidCredentialOffer("tx_code must be an object")
        mode, length, description = obj.get("input_mode"), obj.get("length"), obj.get("description")
        if mode is not None and mode not in _INPUT_MODES:
            raise InvalidCredentialOffer("tx_code input_mode must be numeric or text")
        if length is not None and not is_int(length):
            raise InvalidCredentialOffer("tx_code length must be an integer")
        if description is not None and not isinstance(description, str):
            raise InvalidCredentialOffer("tx_code description must be a string")
        try:
            return cls(input_mode=mode, length=length, description=description)
        except ValueError as exc:
            raise InvalidCredentialOffer(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class CredentialOffer:
    """A Credential Offer with a Pre-Authorized Code grant (OpenID4VCI 1.0 §4.1.1).

    ``credential_issuer`` is the Credential Issuer Identifier (§12.2.1): the wallet fetches the
    issuer metadata from it and uses it as the ``aud`` of its key proofs. The
    ``pre_authorized_code`` is a bearer secret: short-lived, single use, stored by the issuer
    only as a hash (:func:`~wire.oid4vci.hash_secret`).
    """

    credential_issuer: str
    pre_authorized_code: str
    tx_code: TxCode | None = None
    credential_configuration_ids: tuple[str, ...] = (CONFIGURATION_ID,)

    def __post_init__(self) -> None:
        check_url(self.credential_issuer, allow_insecure_loopback=True)
        if not is_text(self.pre_authorized_code):
            raise ValueError("pre-authorized_code must be 1 to 1024 characters")
        ids = self.credential_configuration_ids
        if not isinstance(ids, tuple) or not 0 < len(ids) <= MAX_CONFIGURATION_IDS:
            raise ValueError("credential_configuration_ids must be a non-empty tuple")
        if not all(is_text(i, 256) for i in ids) or len(set(ids)) != len(ids):
            raise ValueError("credential_configuration_ids must be unique non-empty strings")

    def to_json(self) -> dict[str, Any]:
        """The Credential Offer object (§4.1.1)."""
        grant: dict[str, Any] = {"pre-authorized_code": self.pre_authorized_code}
        if self.tx_code is not None:
            grant["tx_code"] = self.tx_code.to_json()
        return {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": list(self.credential_configuration_ids),
            "grants": {PRE_AUTH_GRANT: grant},
        }

    def to_uri(self, endpoint: str = f"{OFFER_SCHEME}://") -> str:
        """The offer passed by value (§4.1.2): ``<endpoint>?credential_offer=<url-encoded JSON>``.

        ``endpoint`` is the custom scheme by default (§12.1); a wallet's registered Credential
        Offer Endpoint can be given instead. The JSON is compact UTF-8, percent-encoded with
        only RFC 3986 unreserved characters left as they are.
        """
        if "?" in endpoint or "#" in endpoint:
            raise ValueError("endpoint must not have a query or fragment")
        return f"{endpoint}?credential_offer={quote(json_dumps(self.to_json()), safe='')}"

    @classmethod
    def from_json(
        cls, data: bytes | str | Mapping[str, Any], *, allow_insecure_loopback: bool = False
    ) -> CredentialOffer:
        """Parse a Credential Offer object strictly; unknown parameters are ignored (§4.1.1)."""
        obj = load_message(data, InvalidCredentialOffer, "credential offer")
        issuer = obj.get("credential_issuer")
        try:
            check_url(issuer, allow_insecure_loopback=allow_insecure_loopback)
        except ValueError as exc:
            raise InvalidCredentialOffer(
                "credential_issuer must be an https URL without query or fragment"
            ) from exc
        ids = obj.get("credential_configuration_ids")
        if not isinstance(ids, list) or not ids:
            raise InvalidCredentialOffer("credential_configuration_ids must be a non-empty array")
        grants = obj.get("grants")
        if grants is None or grants == {}:
            raise InvalidCredentialOffer(
                "offer has no grants; only the pre-authorized code flow is supported"
            )
        if not isinstance(grants, dict):
            raise InvalidCredentialOffer("grants must be an object")
        grant = grants.get(PRE_AUTH_GRANT)
        if grant is None:
            raise InvalidCredentialOffer(
                "offer has no pre-authorized_code grant; the authorization code flow "
                "is not supported"
            )
        if not isinstance(grant, dict):
            raise InvalidCredentialOffer("the pre-authorized_code grant must be an object")
        code = grant.get("pre-authorized_code")
        if not is_text(code, MAX_PARAM_CHARS):
            raise InvalidCredentialOffer("pre-authorized_code must be a non-empty string")
        tx_code = TxCode.from_json(grant["tx_code"]) if "tx_code" in grant else None
        assert isinstance(issuer, str)  # checked by check_url
        try:
            return cls(
                credential_issuer=issuer,
                pre_authorized_code=code,
                tx_code=tx_code,
                credential_configuration_ids=tuple(ids),
            )
        except ValueError as exc:
            raise InvalidCredentialOffer(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class CredentialOfferReference:
    """An offer passed by reference (§4.1.3): the wallet GETs ``uri`` (``application/json``)
    and parses the body with :func:`parse_offer_json`. Fetching is optional for our wallet."""

    uri: str


def parse_offer_json(
    data: bytes | str | Mapping[str, Any], *, allow_insecure_loopback: bool = False
) -> CredentialOffer:
    """Parse a Credential Offer object (a ``credential_offer_uri`` response body, §4.1.3)."""
    return CredentialOffer.from_json(data, allow_insecure_loopback=allow_insecure_loopback)


def parse_offer_uri(
    text: str,
    *,
    allow_insecure_loopback: bool = False,
    schemes: frozenset[str] = frozenset({OFFER_SCHEME}),
) -> CredentialOffer | CredentialOfferReference:
    """Parse what a wallet scanned or was handed: an offer URI, or the plain offer JSON.

    ``openid-credential-offer://?credential_offer=<JSON>`` (§4.1.2) gives the offer;
    ``...?credential_offer_uri=<https URL>`` (§4.1.3) gives a :class:`CredentialOfferReference`.
    Exactly one of the two parameters must be present, once (§4.1); other query parameters are
    ignored. Text starting with ``{`` is taken as the offer object itself. One trailing line
    break (as left by a scanner) is ignored. Every defect is
    :class:`~wire.oid4vci.InvalidCredentialOffer` with a message naming the problem.
    """
    if not isinstance(text, str):
        raise InvalidCredentialOffer("offer must be text")
    text = text.removesuffix("\n").removesuffix("\r")
    if len(text) > MAX_OFFER_CHARS:
        raise InvalidCredentialOffer("offer is too large")
    if text.startswith("{"):
        return parse_offer_json(text, allow_insecure_loopback=allow_insecure_loopback)
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise InvalidCredentialOffer("offer is not a URI") from exc
    if parts.scheme not in schemes or not text[len(parts.scheme) :].startswith("://"):
        raise InvalidCredentialOffer("offer URI must use the openid-credential-offer:// scheme")
    try:
        pairs = parse_qsl(
            parts.query,
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=32,
        )
    except ValueError as exc:  # also UnicodeDecodeError: percent-encoded bytes not UTF-8
        raise InvalidCredentialOffer("offer URI query is malformed") from exc
    params = [(k, v) for k, v in pairs if k in ("credential_offer", "credential_offer_uri")]
    if len(params) != 1:
        raise InvalidCredentialOffer(
            "offer URI needs exactly one credential_offer or credential_offer_uri parameter"
        )
    name, value = params[0]
    if name == "credential_offer":
        return parse_offer_json(value, allow_insecure_loopback=allow_insecure_loopback)
    try:
        uri = check_url(value, allow_insecure_loopback=allow_insecure_loopback, query=True)
    except ValueError as exc:
        raise InvalidCredentialOffer("credential_offer_uri must be an https URL") from exc
    return CredentialOfferReference(uri)
