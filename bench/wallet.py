"""Wallet benchmark: server CPU per QR refresh, and PNG/SVG render time, per profile.

    .venv/bin/python -m bench.wallet            # table
    .venv/bin/python -m bench.wallet --json     # the same figures as JSON

"Refresh" is what ``POST /v1/permits/{id}/presentations`` costs the server each time the holder
page asks for a new QR (every 30–60 s): decrypt the holder key (PKCS#8) and the credential
(AES-GCM), choose the disclosures, sign the KB-JWT and pack the compact ``RP1:`` payload. The
page draws the QR itself, so that is all the server does. PNG and SVG are what ``…/qr.png`` and
``…/qr.svg`` add on top when the server renders instead. Verifier-bound profiles are measured
as a verifier request answer (its audience and nonce). Single thread, wall-clock medians.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from pydantic import SecretStr

from keys.generate import generate_private_key
from wallet_api.qr import qr_matrix, qr_png, qr_svg
from wallet_api.vault import Vault
from wire.credential import end_of_day, issue_credential
from wire.jwk import public_jwk
from wire.presentation import QR_AUDIENCE, create_presentation
from wire.profiles import load_profiles
from wire.qrcodec import encode_qr_payload

ISSUER = "https://permits.sh.example/issuer"
CLAIMS: dict[str, Any] = {
    "permit_no": "310104202600000001",
    "name": "李梅",
    "sex": "F",
    "birth_date": "1990-03-07",
    "id_number": "310104199003071229",
    "hukou_address": "安徽省合肥市蜀山区长江西路100号",
    "residence_address": {"region_code": "310104", "district": "徐汇区", "street": "漕溪北路88号"},
    "permit_class": "standard",
    "issuing_authority": "上海市公安局",
    "first_issued": "2026-03-02",
    "endorsed_until": "2027-03-02",
    "age_over_18": True,
    "age_over_60": False,
}


def _median_seconds(func: Callable[[], object], *, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(rounds: int) -> list[dict[str, Any]]:
    issuer_key = generate_private_key()
    holder_key = generate_private_key()
    credential = issue_credential(
        claims=CLAIMS,
        issuer=ISSUER,
        signing_key=issuer_key,
        holder_jwk=public_jwk(holder_key),
        status_uri="https://permits.sh.example/status/1",
        status_idx=4242,
        iat=1_772_416_800,
        exp=end_of_day(date(2027, 3, 2)),
    ).serialized
    vault = Vault(SecretStr(secrets.token_urlsafe(32)))
    copy_id = uuid.uuid4()
    sealed_key = vault.seal_key(copy_id, holder_key)
    sealed_credential = vault.seal_credential(copy_id, credential)
    results = []
    for profile in load_profiles().values():
        if not profile.claims:
            continue
        audience = (
            "redirect_uri:https://bank.example.cn/vp" if profile.verifier_bound else QR_AUDIENCE
        )

        def refresh(claims: tuple[str, ...] = profile.claims, aud: str = audience) -> str:
            key = vault.open_key(copy_id, sealed_key)
            text = vault.open_credential(copy_id, sealed_credential)
            presentation = create_presentation(
                text,
                claims,
                holder_key=key,
                audience=aud,
                nonce=secrets.token_urlsafe(16),
                iat=int(time.time()),
            )
            return encode_qr_payload(presentation)

        payload = refresh()
        refresh_s = _median_seconds(refresh, rounds=rounds)
        png_s = _median_seconds(partial(qr_png, payload), rounds=max(5, rounds // 10))
        svg_s = _median_seconds(partial(qr_svg, payload), rounds=max(5, rounds // 10))
        modules = len(qr_matrix(payload, border=0))
        results.append(
            {
                "profile": profile.name,
                "disclosed_paths": len(profile.claims),
                "qr_chars": len(payload),
                "qr_version": (modules - 17) // 4,
                "refresh_ms": round(refresh_s * 1000, 3),
                "presentations_per_s": round(1 / refresh_s),
                "png_ms": round(png_s * 1000, 2),
                "svg_ms": round(svg_s * 1000, 2),
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--rounds", type=int, default=200, help="timed runs per figure")
    args = parser.parse_args()
    results = run(max(10, args.rounds))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    header = (
        f"{'profile':<10}{'paths':>6}{'QR chars':>10}{'version':>9}"
        f"{'refresh ms':>12}{'pres/s':>9}{'PNG ms':>9}{'SVG ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        print(
            f"{row['profile']:<10}{row['disclosed_paths']:>6}{row['qr_chars']:>10}"
            f"{row['qr_version']:>9}{row['refresh_ms']:>12.3f}{row['presentations_per_s']:>9}"
            f"{row['png_ms']:>9.2f}{row['svg_ms']:>9.2f}"
        )
    print(
        "\nrefresh = server CPU per QR refresh (decrypt key + credential, select disclosures, "
        "sign KB-JWT, pack RP1); the page draws the QR itself."
    )


if __name__ == "__main__":
    main()
