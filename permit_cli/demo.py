"""``permit demo``: the end-to-end walk-through a newcomer runs first.

keys → trust list → issue → present → QR image → ``permit verify`` (a real subprocess reading
the PNG) → suspend/revoke via the status list → replay. Every step checks its own outcome and
the command exits non-zero if anything does not behave as narrated.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click

__all__ = ["demo"]

SHANGHAI = "上海市公安局"
STATUS_SIZE = 1 << 17


@dataclass
class _StatusHost:
    """A loopback HTTP server publishing status-list tokens, as an issuer would."""

    tokens: dict[str, bytes] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"


@contextmanager
def _serve(host: _StatusHost) -> Iterator[_StatusHost]:
    tokens = host.tokens

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = tokens.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/statuslist+jwt")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request logging."""

    host.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=host.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield host
    finally:
        host.server.shutdown()
        host.server.server_close()


class DemoFailure(click.ClickException):
    exit_code = 1


def _step(title: str) -> None:
    click.secho(f"\n▶ {title}", bold=True)


def _expect(what: str, ok: bool) -> None:
    if not ok:
        raise DemoFailure(f"step did not behave as narrated: {what}")
    click.secho(f"  ✓ {what}", fg="green")


def _verify_cli(args: list[str]) -> dict[str, Any]:
    """Run ``permit verify`` as a separate process, exactly as a verifier would."""
    proc = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "permit_cli", "verify", *args, "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if proc.returncode not in (0, 1):
        raise DemoFailure(f"permit verify failed to run: {proc.stderr.strip()}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _claims() -> dict[str, Any]:
    return {
        "permit_no": "3101152026000123",
        "name": "李小梅",
        "sex": "F",
        "birth_date": "1994-08-16",
        "id_number": "510104199408161228",
        "hukou_address": "四川省成都市锦江区",
        "residence_address": {
            "region_code": "310115",
            "district": "浦东新区",
            "street": "张杨路500号",
        },
        "permit_class": "standard",
        "issuing_authority": "上海市公安局浦东分局",
        "first_issued": "2024-03-01",
        "endorsed_until": "",
        "age_over_18": True,
        "age_over_60": False,
    }


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/demo"),
    show_default=True,
    help="Directory for the artefacts (keys, trust list, QR images, summary).",
)
def demo(out_dir: Path) -> None:  # noqa: PLR0915 - a linear narrated script, split in issue 6
    """Run the end-to-end demo on embedded defaults and check every step."""
    import qrcode
    from pydantic import SecretStr

    from keys.ring import KeyRing
    from keys.store import FileKeyStore
    from keys.trustlist import build_trust_list, sign_trust_list
    from wire.credential import end_of_day, issue_credential
    from wire.jwk import public_jwk
    from wire.presentation import create_presentation
    from wire.profiles import load_profiles
    from wire.qrcodec import encode_qr_payload
    from wire.statuslist import StatusList, build_status_list_token

    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = out_dir / "verifier-cache"
    now = int(time.time())
    summary: dict[str, Any] = {"steps": []}

    with _serve(_StatusHost()) as host:
        iss = f"{host.base}issuer"
        status_uri = f"{host.base}status/1"

        _step("Keys: the Shanghai issuer and the federation anchor, stored encrypted (PKCS#8)")
        passphrase_file = out_dir / "key-passphrase"
        if not passphrase_file.exists():
            passphrase_file.write_text(secrets.token_urlsafe(24))
            passphrase_file.chmod(0o600)
        passphrase = SecretStr(passphrase_file.read_text().strip())
        issuer_store = FileKeyStore(out_dir / "keys" / "shanghai", passphrase)
        anchor_store = FileKeyStore(out_dir / "keys" / "anchor", passphrase)
        issuer_ring, anchor_ring = KeyRing.generate("ES256"), KeyRing.generate("EdDSA")
        issuer_ring.save(issuer_store)
        anchor_ring.save(anchor_store)
        _expect(
            "issuer key reloads from its encrypted file",
            KeyRing.load(issuer_store).active_kid == issuer_ring.active_kid,
        )

        _step("Trust list naming the issuer, signed by the anchor (trustlist+jwt)")
        trust = build_trust_list(
            [
                {
                    "iss": iss,
                    "name": SHANGHAI,
                    "region_code": "310000",
                    "jwks": issuer_ring.jwks(),
                    "status_list_prefixes": [f"{host.base}status/"],
                }
            ],
            allow_insecure_loopback=True,
        )
        (out_dir / "trust-list.json").write_text(json.dumps(trust, ensure_ascii=False, indent=2))
        signed = sign_trust_list(
            trust,
            anchor_ring.active_key,
            iat=now,
            exp=now + 30 * 86400,
            allow_insecure_loopback=True,
        )
        (out_dir / "trust-list.jwt").write_text(signed)
        (out_dir / "anchor.jwks.json").write_text(json.dumps(anchor_ring.jwks()))
        _expect("trust list signed", signed.count(".") == 2)

        _step("Status list: 2^17 two-bit entries, published over HTTP")
        idx = secrets.randbelow(STATUS_SIZE)

        def publish(value: int) -> None:
            status = StatusList.from_entries(STATUS_SIZE, 2, {idx: value})
            token = build_status_list_token(
                status_list=status,
                sub=status_uri,
                iat=int(time.time()),
                exp=int(time.time()) + 3600,
                ttl=60,
                key=issuer_ring.active_key,
                kid=issuer_ring.active_kid,
            )
            host.tokens["/status/1"] = token.encode()
            (out_dir / "status-1.jwt").write_text(token)

        publish(0)
        _expect("status token published", "/status/1" in host.tokens)

        _step("Issue the permit (SD-JWT VC, holder-bound) to 李小梅's wallet key")
        from keys.generate import generate_private_key

        holder = generate_private_key("ES256")
        until = date.today() + timedelta(days=365)
        claims = _claims() | {"endorsed_until": until.isoformat()}
        credential = issue_credential(
            claims=claims,
            issuer=iss,
            signing_key=issuer_ring.active_key,
            holder_jwk=public_jwk(holder),
            status_uri=status_uri,
            status_idx=idx,
            iat=now,
            exp=end_of_day(until),
        )
        _expect(
            f"credential issued with {len(credential.disclosures)} disclosures",
            len(credential.disclosures) == 16,
        )

        profiles = load_profiles()
        _step("Present to a landlord: only name, class, district and endorsement date")
        landlord = create_presentation(
            credential.serialized,
            profiles["landlord"].claims,
            holder_key=holder,
            nonce=secrets.token_urlsafe(16),
            iat=int(time.time()),
        )
        compact = encode_qr_payload(landlord)
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(compact)
        qr.make(fit=True)
        qr.make_image().save(out_dir / "landlord-qr.png")
        summary["landlord_qr_version"] = qr.version
        _expect(
            f"QR written (version {qr.version}, {len(compact)} chars compact, "
            f"{len(landlord)} plain)",
            (out_dir / "landlord-qr.png").exists(),
        )

        common = [
            "--trust-list",
            str(out_dir / "trust-list.jwt"),
            "--anchor",
            str(out_dir / "anchor.jwks.json"),
            "--cache-dir",
            str(cache_dir),
            "--allow-insecure-loopback",
        ]
        _step("The landlord scans the QR image with `permit verify`")
        result = _verify_cli([str(out_dir / "landlord-qr.png"), "--profile", "landlord", *common])
        summary["landlord"] = result
        _expect("valid", result["valid"] is True)
        _expect(
            f"landlord saw only {sorted(result['claims'])}",
            set(result["claims"]) == {"name", "permit_class", "residence_address", "endorsed_until"}
            and "id_number" not in json.dumps(result),
        )

        _step("The same QR shown again is a replay")
        again = _verify_cli([str(out_dir / "landlord-qr.png"), "--profile", "landlord", *common])
        _expect("replayed", again["reason"] == "replayed")

        _step("The officer suspends the permit; a fresh QR is refused as suspended")
        publish(2)
        fresh = create_presentation(
            credential.serialized,
            profiles["landlord"].claims,
            holder_key=holder,
            nonce=secrets.token_urlsafe(16),
            iat=int(time.time()),
        )
        later = str(int(time.time()) + 61)  # past the 60 s ttl: the verifier refetches
        result = _verify_cli(
            [encode_qr_payload(fresh), "--profile", "landlord", "--now", later, *common]
        )
        _expect("suspended", result["reason"] == "suspended")

        _step("Revoked: the status list says 1")
        publish(1)
        fresh = create_presentation(
            credential.serialized,
            profiles["landlord"].claims,
            holder_key=holder,
            nonce=secrets.token_urlsafe(16),
            iat=int(time.time()) + 122,
        )
        result = _verify_cli(
            [fresh, "--profile", "landlord", "--now", str(int(time.time()) + 122), *common]
        )
        _expect("revoked", result["reason"] == "revoked")

    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    click.secho(f"\nAll steps behaved as narrated. Artefacts in {out_dir}/", fg="green", bold=True)
