"""``permit keys`` and ``permit trust-list``: key rings and trust lists from the shell.

Key rings live in a directory of encrypted PKCS#8 files (:mod:`keys.store`); the passphrase comes
from ``PERMIT_KEY_PASSPHRASE`` / ``PERMIT_KEY_PASSPHRASE_FILE`` or ``--passphrase-file`` and is
never taken on the command line, where ``ps`` and shell history would see it. Every command
that changes a ring also rewrites ``jwks.json`` (public keys only) in the ring's directory.

Any configuration problem prints one ``Error: ...`` line on stderr and exits with status 2
(DESIGN §5, §6); messages are fixed strings that never contain a secret or a key.
"""

from __future__ import annotations

import functools
import json
import time
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from keys._files import atomic_write, read_limited
from keys.generate import KEY_ALGS, KeyAlg, generate_private_key
from keys.ring import KeyRing
from keys.settings import KeySettings
from keys.store import FileKeyStore, read_jwks_file, write_jwks_file
from keys.trustlist import build_trust_list, load_trust_list_file, sign_trust_list
from wire.encoding import loads_object
from wire.errors import ConfigurationError, Malformed, PermitError
from wire.trust import MAX_TRUST_LIST_BYTES, TrustList

__all__ = ["keys_group", "trust_list_group"]

JWKS_FILE_NAME = "jwks.json"
_P = ParamSpec("_P")
_R = TypeVar("_R")


class CliConfigurationError(click.ClickException):
    """A :class:`ConfigurationError` reported the click way: one line, exit status 2."""

    exit_code = 2


def _exit_2_on_errors(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn project and file-system errors into a one-line message and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except PermitError as exc:
            raise CliConfigurationError(exc.message) from None
        except OSError as exc:
            # strerror only ("Permission denied"): the exception text may hold paths.
            raise CliConfigurationError(
                f"file access failed: {exc.strerror or 'I/O error'}"
            ) from None

    return wrapper


def _open_store(key_dir: Path | None, passphrase_file: Path | None) -> FileKeyStore:
    settings = KeySettings.load(key_dir=key_dir, key_passphrase_file=passphrase_file)
    return FileKeyStore(settings.key_dir, settings.passphrase())


def _save(ring: KeyRing, store: FileKeyStore) -> None:
    ring.save(store)
    write_jwks_file(store.directory / JWKS_FILE_NAME, ring.jwks())


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write(output, text.encode("utf-8"), mode=0o644)


def _pretty(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


_dir_option = click.option(
    "--dir",
    "key_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Key ring directory [default: $PERMIT_KEY_DIR].",
)
_passphrase_file_option = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File holding the key passphrase [default: $PERMIT_KEY_PASSPHRASE(_FILE)].",
)
_alg_option = click.option(
    "--alg", type=click.Choice(KEY_ALGS), default="ES256", show_default=True, help="Key type."
)
_output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write here (atomically) instead of stdout.",
)
_now_option = click.option(
    "--now",
    type=click.IntRange(min=0),
    default=None,
    help="Current time as Unix seconds [default: the system clock].",
)
_loopback_option = click.option(
    "--allow-insecure-loopback",
    is_flag=True,
    help="Accept http:// issuer ids and status prefixes on loopback hosts (tests, demos).",
)


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


# --- permit keys ------------------------------------------------------------------------------


@click.group("keys")
def keys_group() -> None:
    """Signing key rings: generate, rotate, retire, export the public JWKS."""


@keys_group.command("generate")
@_dir_option
@_alg_option
@_passphrase_file_option
@_exit_2_on_errors
def generate_command(key_dir: Path | None, alg: KeyAlg, passphrase_file: Path | None) -> None:
    """Create a new encrypted key ring with one active key; print its kid."""
    store = _open_store(key_dir, passphrase_file)
    if store.load_manifest() is not None or store.list_kids():
        raise ConfigurationError(
            "the directory already holds keys; use 'permit keys rotate' to add one"
        )
    ring = KeyRing.generate(alg)
    _save(ring, store)
    click.echo(ring.active_kid)


@keys_group.command("rotate")
@_dir_option
@_alg_option
@_passphrase_file_option
@_exit_2_on_errors
def rotate_command(key_dir: Path | None, alg: KeyAlg, passphrase_file: Path | None) -> None:
    """Add a new active key; older keys keep verifying until retired. Print the new kid."""
    store = _open_store(key_dir, passphrase_file)
    ring = KeyRing.load(store).rotate(generate_private_key(alg))
    _save(ring, store)
    click.echo(ring.active_kid)


@keys_group.command("retire")
@_dir_option
@_passphrase_file_option
@click.argument("kid")
@_exit_2_on_errors
def retire_command(key_dir: Path | None, passphrase_file: Path | None, kid: str) -> None:
    """Remove an old key (never the active one) and delete its file.

    Everything the key signed stops verifying once verifiers pick up the new JWKS.
    """
    store = _open_store(key_dir, passphrase_file)
    ring = KeyRing.load(store).retire(kid)
    _save(ring, store)
    click.echo(f"retired {kid}; active {ring.active_kid}")


@keys_group.command("list")
@_dir_option
@_passphrase_file_option
@_exit_2_on_errors
def list_command(key_dir: Path | None, passphrase_file: Path | None) -> None:
    """Print the ring's kids with their algorithm, the active key first."""
    ring = KeyRing.load(_open_store(key_dir, passphrase_file))
    for index, entry in enumerate(ring.entries):
        click.echo(f"{entry.kid}\t{entry.alg}\t{'active' if index == 0 else 'verify-only'}")


@keys_group.command("jwks")
@_dir_option
@_passphrase_file_option
@_output_option
@_exit_2_on_errors
def jwks_command(key_dir: Path | None, passphrase_file: Path | None, output: Path | None) -> None:
    """Print the ring's public JWKS (kid, alg, use; never a private member)."""
    ring = KeyRing.load(_open_store(key_dir, passphrase_file))
    _emit(_pretty(ring.jwks()), output)


# --- permit trust-list ------------------------------------------------------------------------


@click.group("trust-list")
def trust_list_group() -> None:
    """Trust lists of DESIGN §5: build from issuer entries, sign, verify."""


def _read_issuers_file(path: Path) -> list[dict[str, Any]]:
    data = read_limited(path, MAX_TRUST_LIST_BYTES)
    if data is None:
        raise ConfigurationError("issuers file is too large")
    try:
        if path.suffix.lower() == ".toml":
            obj: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
        else:
            obj = loads_object(data.lstrip(b" \t\r\n"), Malformed)
    except (Malformed, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise ConfigurationError("issuers file is not valid JSON or TOML") from None
    entries = obj.get("issuers")
    if set(obj) != {"issuers"} or not isinstance(entries, list) or not entries:
        raise ConfigurationError("issuers file needs exactly a non-empty 'issuers' array")
    issuers: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigurationError(f"issuers[{index}] must be an object")
        issuer = dict(entry)
        jwks_file = issuer.pop("jwks_file", None)
        if jwks_file is not None:
            if "jwks" in issuer or not isinstance(jwks_file, str):
                raise ConfigurationError(
                    f"issuers[{index}]: give either 'jwks' or a 'jwks_file' path, not both"
                )
            issuer["jwks"] = read_jwks_file(path.parent / jwks_file)
        issuers.append(issuer)
    return issuers


@trust_list_group.command("build")
@click.argument("issuers_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_output_option
@_loopback_option
@_exit_2_on_errors
def build_command(issuers_file: Path, output: Path | None, allow_insecure_loopback: bool) -> None:
    """Build a trust list from ISSUERS_FILE (JSON, or TOML by its .toml suffix).

    \b
    The file holds {"issuers": [{"iss": "https://...", "name": "...", "region_code": "310000",
      "jwks_file": "sh.jwks.json", "status_list_prefixes": ["https://.../status/"]}, ...]}.
    "jwks_file" is relative to ISSUERS_FILE (or give the JWKS inline as "jwks"); the JWKS
    is what 'permit keys jwks' prints. Any invalid entry refuses the whole list.
    """
    issuers = _read_issuers_file(issuers_file)
    trust_list = build_trust_list(issuers, allow_insecure_loopback=allow_insecure_loopback)
    _emit(_pretty(trust_list), output)


@trust_list_group.command("sign")
@click.argument("trust_list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--anchor-dir",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Key ring directory of the federation anchor.",
)
@_passphrase_file_option
@click.option(
    "--ttl-days",
    type=click.IntRange(1, 366),
    default=30,
    show_default=True,
    help="Days until the signed list expires.",
)
@_now_option
@_output_option
@_loopback_option
@_exit_2_on_errors
def sign_command(
    trust_list_file: Path,
    anchor_dir: Path,
    passphrase_file: Path | None,
    ttl_days: int,
    now: int | None,
    output: Path | None,
    allow_insecure_loopback: bool,
) -> None:
    """Sign TRUST_LIST_FILE as a trustlist+jwt with the anchor ring's active key."""
    data = read_limited(trust_list_file, MAX_TRUST_LIST_BYTES)
    if data is None:
        raise ConfigurationError("trust list file is too large")
    trust_list = TrustList.from_bytes(data, allow_insecure_loopback=allow_insecure_loopback)
    ring = KeyRing.load(_open_store(anchor_dir, passphrase_file))
    iat = _now(now)
    token = sign_trust_list(
        trust_list.to_json(),
        ring.active_key,
        iat=iat,
        exp=iat + ttl_days * 86_400,
        allow_insecure_loopback=allow_insecure_loopback,
    )
    _emit(token + "\n", output)


@trust_list_group.command("verify")
@click.argument("trust_list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--anchor-jwks",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JWKS of the federation anchor; required for a signed list, refuses a plain one.",
)
@_now_option
@_loopback_option
@click.option("--json", "as_json", is_flag=True, help="Print the validated list as JSON.")
@_exit_2_on_errors
def verify_command(
    trust_list_file: Path,
    anchor_jwks: Path | None,
    now: int | None,
    allow_insecure_loopback: bool,
    as_json: bool,
) -> None:
    """Validate a plain or signed trust list completely; exit 0 if it would be loaded."""
    anchor = read_jwks_file(anchor_jwks) if anchor_jwks is not None else None
    trust_list = load_trust_list_file(
        trust_list_file,
        anchor=anchor,
        now=_now(now),
        allow_insecure_loopback=allow_insecure_loopback,
    )
    if as_json:
        click.echo(_pretty(trust_list.to_json()), nl=False)
        return
    click.echo(f"trust list OK: {len(trust_list.issuers)} issuer(s)")
    for issuer in trust_list.issuers:
        click.echo(f"{issuer.iss}\t{issuer.region_code}\t{issuer.name}\t{len(issuer.keys)} key(s)")
