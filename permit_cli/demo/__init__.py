"""``permit demo``: the whole system in one command, on embedded defaults (issue 6).

Two cities' issuers, a holder wallet and a verifier service run as separate loopback processes
(SQLite databases, encrypted key rings and the signed trust list under ``--out``); applicants,
an employer, an officer, the holder and three verifiers (the bank through the verifier
service's HTTP API) then play the story, and every step checks its own outcome. Artefacts (QR
images, the trust list, status list tokens, the paper permit PDF and ``summary.json``) stay in
``--out``. Exit status 1 when any step does not behave as narrated.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import httpx

__all__ = ["demo"]


def _status_tokens(out: Path, bases: dict[str, str]) -> None:
    """Save the issuers' first status list tokens as artefacts (what verifiers fetched)."""
    for city, base in bases.items():
        response = httpx.get(f"{base}/status/1", timeout=10)
        if response.status_code == 200:
            (out / f"status-{city}-1.jwt").write_text(response.text)


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/demo"),
    show_default=True,
    help="Directory for the artefacts (keys, databases, trust list, QR images, summary).",
)
@click.option("--quick", is_flag=True, help="A 10-application employer batch instead of 50.")
def demo(out_dir: Path, quick: bool) -> None:
    """Run the end-to-end demo on embedded defaults and check every step."""
    from permit_cli.demo import lifecycle, story
    from permit_cli.demo.narrate import Narrator
    from permit_cli.demo.parties import BankDesk, Officers, VerifierDesk
    from permit_cli.demo.stack import running_stack

    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / "trust-list.json").exists():
            raise click.ClickException(f"{out_dir} is not empty and not a demo output directory")
        shutil.rmtree(out_dir)  # a previous demo run: start again with new keys and databases
    out_dir.mkdir(parents=True)
    say = Narrator()
    say.console.print(
        "[bold]Electronic residence permits (居住证): the whole system, step by step[/]"
    )
    with (
        running_stack(out_dir) as stack,
        httpx.Client(base_url=stack.issuers["shanghai"].base, timeout=60) as shanghai,
        httpx.Client(base_url=stack.wallet_base, timeout=60) as wallet,
        httpx.Client(base_url=stack.verifier_base, timeout=60) as verifier,
    ):
        ctx = story.Context(
            say=say,
            stack=stack,
            out=out_dir,
            batch_size=10 if quick else 50,
            shanghai=shanghai,
            wallet=wallet,
            officers=Officers(stack.issuers["shanghai"], shanghai),
            landlord=VerifierDesk("landlord", stack),
            bank=BankDesk(verifier, stack.bank_key),
            suzhou=VerifierDesk("suzhou", stack),
        )
        try:
            for step in (
                story.federation,
                story.applications,
                story.employer_batch,
                story.approve_and_receive,
                story.landlord_and_replay,
                story.bank,
                story.suzhou,
                lifecycle.paper,
                lifecycle.suspension,
                lifecycle.renewal,
                lifecycle.revocation,
                lifecycle.audit,
            ):
                step(ctx)
            _status_tokens(out_dir, {k: v.base for k, v in stack.issuers.items()})
        finally:
            summary = {
                "ok": all(c["ok"] for s in say.steps for c in s["checks"]) and bool(say.steps),
                "seconds": say.elapsed(),
                "verifiers_saw": ctx.seen,
                "steps": say.steps,
            }
            (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    say.console.print(
        f"\n[bold green]All steps behaved as narrated[/] in {say.elapsed()} s."
        f" Artefacts in {out_dir}/"
    )
