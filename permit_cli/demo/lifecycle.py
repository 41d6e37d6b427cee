"""The permit's life after issuance: paper, suspension, renewal, revocation, the audit log.

Officers act over the issuer's HTTP API; the status publisher re-signs the status list at once,
and each verification fetches it fresh. The renewal shows the grace mechanism with the demo's
configured grace period of zero days (:mod:`permit_cli.demo.stack`): the replaced credential's
status entry is set INVALID by the issuer's next refresh pass (every second), so a QR made from
it before the renewal is refused afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

from permit_cli.demo.parties import VerifierDesk
from permit_cli.demo.story import LANDLORD_FIELDS, Context

__all__ = ["audit", "paper", "renewal", "revocation", "suspension"]


def _move(ctx: Context, move: str, reason: str) -> None:
    response = ctx.shanghai.post(
        f"/v1/permits/{ctx.issuer_permit}/{move}", json={"reason": reason}, headers=ctx.supervisor
    )
    ctx.say.expect(f"officer: {move}", response.status_code == 200, body=response.text[:200])


def paper(ctx: Context) -> None:
    from wallet_api.qr import qr_png

    ctx.say.step("A paper permit: the wallet obtains a credential without holder key and prints it")
    obtained = ctx.wallet.post(f"/v1/permits/{ctx.wallet_permit}/paper", headers=ctx.holder)
    ctx.say.expect(
        "issuer issued the paper credential", obtained.status_code == 201, body=obtained.text[:200]
    )
    sheet = ctx.wallet.get(f"/v1/permits/{ctx.wallet_permit}/paper", headers=ctx.holder).json()
    text = next(q["qr_text"] for q in sheet["qrs"] if q["profile"] == "landlord")
    image = ctx.out / "paper-landlord-qr.png"
    image.write_bytes(qr_png(text))
    pdf = ctx.wallet.get(f"/v1/permits/{ctx.wallet_permit}/paper.pdf", headers=ctx.holder)
    (ctx.out / "paper-permit.pdf").write_bytes(pdf.content)
    result, _ = ctx.landlord.scan(image, profile="landlord")
    ctx.seen["paper_landlord"] = result.to_json()
    ctx.say.expect(
        "landlord accepts the paper QR", result.valid and set(result.claims) == LANDLORD_FIELDS
    )
    request = ctx.bank.open_request()
    refused = ctx.bank.scan_answer(request, image)
    view = ctx.bank.outcome(request)
    ctx.seen["paper_bank"] = view["result"]
    ctx.say.expect(
        f"bank refuses the paper QR for its request ({refused.get('reason')})",
        # No KB-JWT: it cannot be bound to the bank's nonce, and ``bank`` takes no paper.
        refused.get("reason") == "holder_binding_missing" and view["status"] == "rejected",
        reason=refused.get("reason"),
    )


def suspension(ctx: Context) -> None:
    ctx.say.step("The officer suspends the permit, then reinstates it")
    _move(ctx, "suspend", "identity check pending")
    result, _ = ctx.landlord.scan(ctx.png("suspended-qr", "landlord"), profile="landlord")
    ctx.say.expect("verifier answers suspended", result.reason == "suspended", reason=result.reason)
    _move(ctx, "reinstate", "identity confirmed")
    result, _ = ctx.landlord.scan(ctx.png("reinstated-qr", "landlord"), profile="landlord")
    ctx.say.expect("valid again", result.valid, reason=result.reason)


def renewal(ctx: Context) -> None:
    ctx.say.step("Annual endorsement (签注): the permit is renewed, the old credential retires")
    old = ctx.png("before-renewal-qr", "landlord")
    renewed = ctx.shanghai.post(
        f"/v1/permits/{ctx.issuer_permit}/renew",
        json={"reason": "annual endorsement"},
        headers=ctx.supervisor,
    )
    ctx.say.expect("officer: renew", renewed.status_code == 200, body=renewed.text[:200])
    offer = renewed.json()["offer"]
    until = renewed.json()["permit"]["endorsed_until"]
    received = ctx.wallet.post(
        "/v1/offers",
        json={"offer": offer["offer_uri"], "tx_code": offer["tx_code"]},
        headers=ctx.holder,
    )
    ctx.say.expect(
        "wallet received the renewed credential",
        received.status_code == 201 and received.json()["renewed"],
        body=received.text[:200],
    )
    result, _ = ctx.landlord.scan(ctx.png("renewed-qr", "landlord"), profile="landlord")
    ctx.say.expect(
        f"new credential valid, endorsed until {until}",
        result.valid and result.claims.get("endorsed_until") == until,
        reason=result.reason,
    )
    deadline, reason = time.monotonic() + 15, None
    while time.monotonic() < deadline:
        # A different verifier each time: the QR is a fresh one for it (no replay).
        stale, _ = VerifierDesk("recheck", ctx.stack).scan(old, profile="landlord")
        reason = stale.reason
        if not stale.valid:
            break
        time.sleep(0.25)
    ctx.say.expect(
        "old credential refused after its grace period (0 days in the demo)",
        reason == "revoked",
        reason=reason,
    )


def revocation(ctx: Context) -> None:
    ctx.say.step("The officer revokes the permit")
    image: Path = ctx.png("before-revocation-qr", "landlord")
    _move(ctx, "revoke", "permit obtained with false documents")
    result, _ = ctx.landlord.scan(image, profile="landlord")
    ctx.say.expect("verifier answers revoked", result.reason == "revoked", reason=result.reason)


def audit(ctx: Context) -> None:
    from sqlmodel import Session

    from issuer.audit import verify_stored_chain
    from issuer.db import create_engine_for
    from issuer.settings import IssuerSettings

    ctx.say.step("The audit logs verify (`permit audit verify`)")
    for issuer in ctx.stack.issuers.values():
        engine = create_engine_for(IssuerSettings(environment="test", database_url=issuer.db_url))
        try:
            with Session(engine) as session:
                report = verify_stored_chain(session)
        finally:
            engine.dispose()
        ctx.say.expect(f"{issuer.city.authority}: hash chain intact", report.ok)
