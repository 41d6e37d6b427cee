"""``permit verify`` (DESIGN §6): verify a presentation from text, stdin or a QR image.

Exit status: 0 valid, 1 rejected, 2 usage or configuration error. Heavy modules (HTTP client,
image decoding) are imported only when the input needs them, so the command answers fast.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from wire.errors import PermitError

if TYPE_CHECKING:
    import httpx

    from verifier.pipeline import Verifier
    from wire.verify import VerificationResult

__all__ = ["verify"]

_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")
_MAX_TEXT_INPUT = 1024 * 1024


def _is_file(path: Path) -> bool:
    """``Path.is_file``, except that a name the OS refuses to look up (longer than NAME_MAX,
    as any bare issuer JWT is) is simply not a file: INPUT is then the presentation text."""
    try:
        return path.is_file()
    except OSError:
        return False


def _read_input(source: str) -> str:
    """The presentation text: the argument itself, stdin (``-``), a text file or a QR image."""
    if source == "-":
        return sys.stdin.buffer.read(_MAX_TEXT_INPUT).decode("utf-8", errors="replace")
    path = Path(source)
    if "~" not in source and _is_file(path):
        with path.open("rb") as handle:
            head = handle.read(16)
        if head.startswith(_IMAGE_MAGIC):
            from verifier.qrimage import MAX_IMAGE_BYTES, decode_qr_image

            with path.open("rb") as handle:
                return decode_qr_image(handle.read(MAX_IMAGE_BYTES + 1))
        with path.open("rb") as handle:
            return handle.read(_MAX_TEXT_INPUT).decode("utf-8", errors="replace")
    return source


def _load_anchor(path: Path) -> Any:
    """An anchor key file: a JWKS ``{"keys": [...]}`` or a single public JWK."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"anchor key file {path} is not readable JSON") from exc
    if isinstance(document, dict) and "keys" not in document:
        document = {"keys": [document]}
    return document


def _build_verifier(
    *,
    trust_list_path: Path,
    anchor_path: Path | None,
    profiles_path: Path | None,
    cache_dir: Path,
    offline: bool,
    max_offline_age: int,
    allow_insecure_loopback: bool,
    now: int,
    http_timeout: float,
) -> Verifier:
    from keys.trustlist import load_trust_list_file
    from verifier.pipeline import Verifier
    from verifier.replay import SqliteNonceCache
    from verifier.status import DirectoryStatusCache, StatusResolver
    from wire.jws import ALGORITHMS
    from wire.profiles import load_profiles

    anchor = _load_anchor(anchor_path) if anchor_path else None
    trust_list = load_trust_list_file(
        trust_list_path,
        anchor=anchor,
        now=now,
        allow_insecure_loopback=allow_insecure_loopback,
    )

    def http_client() -> httpx.Client:
        import httpx

        return httpx.Client(timeout=http_timeout, follow_redirects=False, trust_env=False)

    resolver = StatusResolver(
        client_factory=None if offline else http_client,
        cache=DirectoryStatusCache(cache_dir / "status"),
        algorithms=ALGORITHMS,
        offline=offline,
        max_offline_age=max_offline_age,
    )
    return Verifier(
        trust_list=trust_list,
        profiles=load_profiles(profiles_path),
        status_lookup=resolver,
        nonce_cache=SqliteNonceCache(cache_dir / "nonces.sqlite3"),
        allow_insecure_loopback=allow_insecure_loopback,
    )


def _print_human(result: VerificationResult) -> None:
    if result.valid:
        click.secho(f"VALID  issuer={result.issuer}  profile={result.profile}", fg="green")
        for line in json.dumps(result.claims, ensure_ascii=False, indent=2).splitlines():
            click.echo(f"  {line}")
    else:
        click.secho(f"REJECTED  reason={result.reason}  profile={result.profile}", fg="red")


def _default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("residence-permit"))


@click.command("verify")
@click.argument("source", metavar="INPUT")
@click.option(
    "--trust-list",
    "trust_list_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Trust list: plain JSON, or a signed trustlist+jwt (needs --anchor).",
)
@click.option(
    "--anchor",
    "anchor_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Federation anchor public key (JWK or JWKS) that signed the trust list.",
)
@click.option("--profile", default="any", show_default=True, help="Relying-party profile.")
@click.option(
    "--profiles",
    "profiles_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Profiles file replacing the packaged defaults.",
)
@click.option("--audience", help="Expected KB-JWT audience (verifier id).")
@click.option("--nonce", help="Nonce this verifier issued (verifier-bound profiles).")
@click.option("--now", type=int, help="Unix time to verify at (reproducible checks).")
@click.option("--offline", is_flag=True, help="Read status lists only from the cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Status-list and nonce cache (default: per-user cache directory).",
)
@click.option(
    "--max-offline-age",
    type=click.IntRange(min=0),
    default=86_400,
    show_default=True,
    help="Oldest cached status list accepted offline, in seconds.",
)
@click.option(
    "--http-timeout",
    type=click.FloatRange(min=0, min_open=True, max=60),
    default=5.0,
    show_default=True,
    help="Seconds to wait on a status-list server (connect, each read) before status_unavailable.",
)
@click.option(
    "--allow-insecure-loopback",
    is_flag=True,
    help="Allow plain-http status lists on loopback addresses (tests, local demos).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the DESIGN §6 JSON result.")
def verify(
    source: str,
    trust_list_path: Path,
    anchor_path: Path | None,
    profile: str,
    profiles_path: Path | None,
    audience: str | None,
    nonce: str | None,
    now: int | None,
    offline: bool,
    cache_dir: Path | None,
    max_offline_age: int,
    http_timeout: float,
    allow_insecure_loopback: bool,
    as_json: bool,
) -> None:
    """Verify a residence-permit presentation.

    INPUT is the presentation (plain or compact QR text), '-' for stdin, or an image file
    holding the QR code. Exit status: 0 valid, 1 rejected, 2 usage or configuration error.
    """
    at = int(time.time()) if now is None else now
    try:
        text = _read_input(source)
        verifier = _build_verifier(
            trust_list_path=trust_list_path,
            anchor_path=anchor_path,
            profiles_path=profiles_path,
            cache_dir=cache_dir or _default_cache_dir(),
            offline=offline,
            max_offline_age=max_offline_age,
            allow_insecure_loopback=allow_insecure_loopback,
            now=at,
            http_timeout=http_timeout,
        )
        result = verifier.verify(text, profile=profile, now=at, audience=audience, nonce=nonce)
    except PermitError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _print_human(result)
    sys.exit(0 if result.valid else 1)
