"""The paper permit (DESIGN §3) for holders without a smartphone.

A paper permit is a *separately issued* credential without ``cnf``, presented without a
KB-JWT, and verifiers accept it only for profiles that allow paper (``landlord``, ``school``).
The wallet obtains it from the issuer through this project's paper-credential extension of
OpenID4VCI (docs/wallet.md §"Paper credential contract"): the issuer metadata names a
``paper_credential_endpoint``; the wallet proves possession of a current phone copy by
presenting its ``permit_no`` with a KB-JWT whose ``aud`` is the Credential Issuer Identifier
and whose ``nonce`` is a fresh ``c_nonce``; the issuer answers with one credential without
``cnf`` for the same permit. The sheet prints one QR per paper profile (each discloses only
that profile's claims: a landlord does not get the school's address detail), plus the essential
fields as text; the citizen ID number is deliberately not printed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.engine import Engine
from sqlmodel import Session

from wallet_api.db import session_scope
from wallet_api.errors import PaperNotOffered
from wallet_api.models import Account
from wallet_api.oid4vci_client import IssuerClient
from wallet_api.receipt import check_received, read_credential
from wallet_api.services.permits import Access, copies_of, open_copy, permit_access
from wallet_api.services.presentations import record
from wallet_api.services.receive import Received, store_copies
from wallet_api.vault import Vault
from wire.errors import Conflict, NotFound
from wire.oid4vci import InvalidIssuerResponse
from wire.presentation import create_presentation
from wire.profiles import Profile
from wire.qrcodec import encode_qr_payload

__all__ = ["PAPER_AUDIENCE", "PAPER_FIELDS", "PaperSheet", "paper_sheet", "request_paper"]

#: What the history records as the audience of a printed QR (it has no ``aud``).
PAPER_AUDIENCE: Final = "paper"
#: Printed fields: claim, Chinese label, English label (no ID number, see above).
PAPER_FIELDS: Final = (
    ("name", "姓名", "Name"),
    ("sex", "性别", "Sex"),
    ("birth_date", "出生日期", "Date of birth"),
    ("permit_no", "居住证号码", "Permit number"),
    ("residence_address", "居住地住址", "Residence address"),
    ("permit_class", "居住证类别", "Permit class"),
    ("issuing_authority", "签发机关", "Issuing authority"),
    ("first_issued", "首次签发日期", "First issued"),
    ("endorsed_until", "签注有效期至", "Endorsed until"),
)
_SEX: Final = {"M": "男 M", "F": "女 F"}
_CLASS: Final = {
    "temporary": "临时 temporary",
    "standard": "普通 standard",
    "talent": "人才 talent",
}


@dataclass(frozen=True, slots=True)
class PaperSheet:
    permit_id: uuid.UUID
    fields: list[tuple[str, str, str, str]]  # claim, zh label, en label, printed value
    qrs: list[tuple[str, str]]  # profile, QR text


def _printed(claim: str, value: Any) -> str:
    if claim == "sex":
        return _SEX.get(str(value), str(value))
    if claim == "permit_class":
        return _CLASS.get(str(value), str(value))
    if claim == "residence_address" and isinstance(value, dict):
        return f"{value.get('district', '')}{value.get('street', '')}"
    return str(value)


def request_paper(
    *,
    engine: Engine,
    client: IssuerClient,
    vault: Vault,
    actor: Account,
    permit_id: uuid.UUID,
    now: datetime,
) -> Received:
    """Obtain (or replace) the paper credential of one of the actor's own permits."""
    with session_scope(engine) as session:
        access = permit_access(
            session=session, actor=actor, permit_id=permit_id, now=now, owner_only=True
        )
        copies = copies_of(session, permit_id, paper=False)
        if not copies or copies[0].holder_key is None:
            raise Conflict("this permit has no phone credential to prove possession with")
        key = vault.open_key(copies[0].id, copies[0].holder_key)
        credential = open_copy(vault, copies[0])
        issuer, owner, ref = (
            access.permit.issuer,
            access.permit.account_id,
            access.permit.permit_ref,
        )
    discovery = client.discover(issuer)
    if discovery.paper_endpoint is None:
        raise PaperNotOffered()
    iat = int(now.timestamp())

    def prove(c_nonce: str) -> str:
        return create_presentation(
            credential, ("permit_no",), holder_key=key, audience=issuer, nonce=c_nonce, iat=iat
        )

    serialized = client.paper_credential(discovery, prove)
    checked = check_received(
        serialized, issuer=issuer, jwks=discovery.jwks, holder_key=None, now=iat
    )
    if vault.permit_ref(issuer, checked.permit_no) != ref:
        raise InvalidIssuerResponse("the paper credential is for another permit")
    return store_copies(
        engine=engine,
        vault=vault,
        account_id=owner,
        issuer=issuer,
        received=[(None, checked)],
        paper=True,
        now=now,
    )


def paper_sheet(
    *,
    session: Session,
    vault: Vault,
    profiles: Mapping[str, Profile],
    access: Access,
    now: datetime,
) -> PaperSheet:
    """Fields and one holder-binding-free QR per paper profile; each print is in the history."""
    copies = copies_of(session, access.permit.id, paper=True)
    if not copies:
        raise NotFound("this permit has no paper credential yet; request one first")
    credential = open_copy(vault, copies[0])
    claims = read_credential(credential).claims
    allowed = set(access.grant.profiles.split()) if access.grant is not None else set()
    fields = [
        (claim, zh, en, _printed(claim, claims[claim]))
        for claim, zh, en in PAPER_FIELDS
        if claim in claims
    ]
    qrs: list[tuple[str, str]] = []
    for profile in profiles.values():
        if not (profile.paper and profile.claims) or (allowed and profile.name not in allowed):
            continue
        text = create_presentation(credential, profile.claims, holder_key=None)
        qrs.append((profile.name, encode_qr_payload(text)))
        record(
            session=session,
            access=access,
            profile=profile.name,
            audience=PAPER_AUDIENCE,
            channel="paper",
            now=now,
        )
    if not qrs:
        raise NotFound("no paper profile is available to you for this permit")
    return PaperSheet(access.permit.id, fields, qrs)
