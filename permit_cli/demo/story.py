"""The demo's story, one function per narrated step (issue 6).

Each step talks to the running services over HTTP exactly as the person it narrates would, and
checks the outcome; :mod:`permit_cli.demo.lifecycle` continues with the permit's life after
issuance (paper, suspension, renewal, revocation, audit).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from permit_cli.demo.applicants import (
    PERMIT_FACTS,
    REGISTRATION_FACTS,
    application_json,
    complete_id_number,
)
from permit_cli.demo.narrate import Narrator
from permit_cli.demo.parties import BankDesk, BankRequest, Officers, VerifierDesk, login_holder
from permit_cli.demo.stack import Stack

__all__ = ["LANDLORD_FIELDS", "Context", "application"]

LANDLORD_FIELDS = {"name", "permit_class", "residence_address", "endorsed_until"}


def application(name: str, birth: date, serial: int, facts: dict[str, Any]) -> dict[str, Any]:
    """Applicant ``serial`` of the story (a woman born on ``birth``, hukou in Hefei)."""
    sequence = f"{serial % 50:02d}{(serial % 5) * 2}"  # even: female
    number = complete_id_number(f"340104{birth:%Y%m%d}{sequence}")
    return application_json(name=name, birth_date=birth, id_number=number, facts=facts)


@dataclass
class Context:
    """What the steps share: the running system, the clients and what was produced so far."""

    say: Narrator
    stack: Stack
    out: Path
    batch_size: int
    shanghai: httpx.Client
    wallet: httpx.Client
    officers: Officers
    landlord: VerifierDesk
    bank: BankDesk
    suzhou: VerifierDesk
    holder: dict[str, str] = field(default_factory=dict)
    supervisor: dict[str, str] = field(default_factory=dict)
    application_id: str = ""
    wallet_permit: str = ""
    issuer_permit: str = ""
    seen: dict[str, Any] = field(default_factory=dict)

    def png(self, name: str, profile: str) -> Path:
        """A fresh QR image of ``profile`` from the wallet (a new KB-JWT each time)."""
        path = self.out / f"{name}.png"
        response = self.wallet.get(
            f"/v1/permits/{self.wallet_permit}/presentations/{profile}/qr.png", headers=self.holder
        )
        response.raise_for_status()
        path.write_bytes(response.content)
        return path


def federation(ctx: Context) -> None:
    ctx.say.step("Two cities' issuers and one trust list (cross-region mutual recognition)")
    trust = json.loads((ctx.out / "trust-list.json").read_text())
    names = [entry["name"] for entry in trust["issuers"]]
    for entry in trust["issuers"]:
        ctx.say.note(
            f"{entry['name']}: {entry['iss']} (status under {entry['status_list_prefixes'][0]})"
        )
    ctx.say.expect("trust list names Shanghai and Suzhou, signed by the anchor", len(names) == 2)


def applications(ctx: Context) -> None:
    ctx.say.step("Two applicants at the Shanghai issuer: the rules decide")
    meets = ctx.shanghai.post(
        "/v1/applications", json=application("李梅", date(1990, 3, 7), 1, PERMIT_FACTS)
    )
    meets.raise_for_status()
    ctx.application_id = meets.json()["application_id"]
    ctx.say.expect("李梅 meets Shanghai's conditions → permit", meets.json()["outcome"] == "permit")
    only = ctx.shanghai.post(
        "/v1/applications", json=application("王芳", date(1998, 6, 1), 2, REGISTRATION_FACTS)
    )
    only.raise_for_status()
    ctx.say.expect(
        "王芳 meets none yet → residence registration only",
        only.json()["outcome"] == "registration",
        outcome=only.json()["outcome"],
    )


def employer_batch(ctx: Context) -> None:
    n = ctx.batch_size
    ctx.say.step(f"An employer uploads a batch of {n} employees' applications")
    rows = [
        application(
            f"员工{i:02d}", date(1985, 1, 1) + timedelta(days=97 * i), 100 + i, PERMIT_FACTS
        )
        for i in range(n)
    ]
    employer = {"Authorization": f"Bearer {ctx.stack.issuers['shanghai'].employer_key}"}
    accepted = ctx.shanghai.post(
        "/v1/batches",
        content=json.dumps(rows, ensure_ascii=False).encode(),
        headers={**employer, "Content-Type": "application/json"},
    )
    accepted.raise_for_status()
    batch_id = accepted.json()["id"]
    status: dict[str, Any] = {}
    give_up = time.monotonic() + 120
    with Progress(
        TextColumn("  batch"), BarColumn(), MofNCompleteColumn(), console=ctx.say.console
    ) as bar:
        task = bar.add_task("batch", total=n)
        while time.monotonic() < give_up:
            status = ctx.shanghai.get(f"/v1/batches/{batch_id}", headers=employer).json()
            bar.update(task, completed=status["done"] + status["failed"])
            if status["state"] in ("done", "failed"):
                break
            time.sleep(0.05)
    ctx.say.expect(
        f"all {n} applications filed", (status.get("state"), status.get("done")) == ("done", n)
    )


def approve_and_receive(ctx: Context) -> None:
    ctx.say.step(
        "An officer (password + TOTP) approves; the wallet receives the permit (OpenID4VCI)"
    )
    # One TOTP login for the whole demo: a code is accepted once per 30-second step.
    ctx.supervisor = headers = ctx.officers.supervisor()
    approved = ctx.shanghai.post(
        f"/v1/applications/{ctx.application_id}/approve",
        json={"reason": "documents checked at the counter"},
        headers=headers,
    )
    approved.raise_for_status()
    offer = approved.json()["offer"]
    ctx.say.note(f"offer {offer['offer_uri'][:60]}… PIN {offer['tx_code']}")
    ctx.holder = login_holder(ctx.wallet, "limei", "李梅")
    received = ctx.wallet.post(
        "/v1/offers",
        json={"offer": offer["offer_uri"], "tx_code": offer["tx_code"]},
        headers=ctx.holder,
    )
    ctx.say.expect(
        "wallet redeemed the offer", received.status_code == 201, body=received.text[:200]
    )
    ctx.wallet_permit = received.json()["permit_id"]
    ctx.say.note(f"{received.json()['copies']} unlinkable copies, each with its own holder key")
    listing = ctx.shanghai.get("/v1/permits", headers=headers, params={"limit": 200}).json()
    ctx.issuer_permit = next(p["id"] for p in listing if p["application_id"] == ctx.application_id)


def landlord_and_replay(ctx: Context) -> None:
    ctx.say.step("The landlord scans the wallet's QR image")
    image = ctx.png("landlord-qr", "landlord")
    result, _ = ctx.landlord.scan(image, profile="landlord")
    ctx.seen["landlord"] = result.to_json()
    ctx.say.expect("valid", result.valid, reason=result.reason)
    ctx.say.expect(
        f"landlord saw only {sorted(result.claims)} (no ID number)",
        set(result.claims) == LANDLORD_FIELDS and "id_number" not in result.claims,
    )
    ctx.say.step("The same QR image shown again")
    again, _ = ctx.landlord.scan(image, profile="landlord")
    ctx.say.expect("replayed", again.reason == "replayed", reason=again.reason)


def _answer(ctx: Context, request: BankRequest, delivery: str) -> httpx.Response:
    """The holder consents and the wallet answers the request (POST or a QR on the phone)."""
    return ctx.wallet.post(
        "/v1/requests/respond",
        json={
            "request": request.uri,
            "permit_id": ctx.wallet_permit,
            "consent": True,
            "delivery": delivery,
        },
        headers=ctx.holder,
    )


def bank(ctx: Context) -> None:
    from verifier.qrimage import decode_qr_image
    from wallet_api.qr import qr_png

    ctx.say.step(
        "The bank asks for a verifier-bound presentation (OpenID4VP request, verifier service)"
    )
    request = ctx.bank.open_request()
    ctx.say.note(
        f"request {request.id[:8]}… from {ctx.stack.verifier_base}: its own nonce and client_id,"
        f" open until {time.strftime('%H:%M:%S', time.localtime(request.expires_at))}"
    )
    shown = ctx.bank.request_qr(request, ctx.out / "bank-request-qr.png")
    preview = ctx.wallet.post(
        "/v1/requests/preview",
        json={"request": decode_qr_image(shown.read_bytes())},
        headers=ctx.holder,
    )
    asks = preview.json() if preview.status_code == 200 else {}
    ctx.say.expect(
        f"the wallet scans the bank's request QR: {asks.get('verifier_origin')} asks for"
        f" {asks.get('paths')}",
        asks.get("verifier_origin") == ctx.stack.verifier_base
        and tuple(asks.get("paths", ())) == request.claims
        and not asks.get("beyond_profile"),
        body=preview.text[:200],
    )
    posted = _answer(ctx, request, "direct_post")
    ctx.say.expect(
        "the holder consents; the wallet posts its answer to the bank's response_uri",
        posted.status_code == 200 and posted.json()["delivered"],
        body=posted.text[:200],
    )
    view = ctx.bank.outcome(request)
    result = view["result"] or {}
    ctx.seen["bank"] = result
    ctx.say.expect(
        "the verifier service checked it against its nonce and client_id: valid",
        view["status"] == "valid" and result.get("valid") is True,
        status=view["status"],
        reason=result.get("reason"),
    )
    ctx.say.expect(f"bank saw {sorted(result['claims'])}", "id_number" in result["claims"])

    # Without a data link the phone shows its answer as a QR instead; the counter scans it onto
    # the request's response_uri, as the verifier page's camera does.
    at_counter = ctx.bank.open_request()
    shown_back = _answer(ctx, at_counter, "qr")
    image = ctx.out / "bank-qr.png"
    if shown_back.status_code == 200:
        image.write_bytes(qr_png(shown_back.json()["qr_text"]))
    scanned = ctx.bank.scan_answer(at_counter, image) if image.exists() else {}
    ctx.say.expect(
        "a second request answered as a QR on the phone, scanned at the counter: accepted",
        scanned.get("status") == "accepted" and ctx.bank.outcome(at_counter)["status"] == "valid",
        body=shown_back.text[:200],
        reason=scanned.get("reason"),
    )
    again = ctx.bank.scan_answer(at_counter, image)
    ctx.say.expect(
        "the same answer QR scanned again: replayed",
        again.get("reason") == "replayed",
        reason=again.get("reason"),
    )
    # An in-person QR is bound to urn:residence-permit:qr and a nonce the bank never issued.
    in_person = ctx.bank.open_request()
    wrong = ctx.bank.scan_answer(in_person, ctx.png("bank-replay", "landlord"))
    ctx.say.expect(
        f"an in-person QR is refused by the bank ({wrong.get('reason')})",
        wrong.get("error") == "access_denied"
        and wrong.get("reason") in ("holder_binding_invalid", "wrong_audience")
        and ctx.bank.outcome(in_person)["status"] == "rejected",
        reason=wrong.get("reason"),
    )


def suzhou(ctx: Context) -> None:
    ctx.say.step("A Suzhou verifier (same federation trust list) checks the Shanghai permit")
    result, _ = ctx.suzhou.scan(ctx.png("suzhou-school-qr", "school"), profile="school")
    ctx.seen["suzhou_school"] = result.to_json()
    ctx.say.expect(
        "accepted: issuer is Shanghai's",
        result.valid and result.issuer == ctx.stack.issuers["shanghai"].issuer_url,
        reason=result.reason,
    )
