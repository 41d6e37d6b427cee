"""``permit batch submit FILE`` and ``permit batch status ID``: an employer's batch client.

The command talks to the issuer over HTTP (httpx) with the employer's API key and never touches
the database, so it runs wherever the employer's file is. It uploads the file, then polls
``GET /v1/batches/{id}`` and draws a progress bar until the job ends, then prints a summary and
each row error as ``row N: FIELD CODE``: the same fields and codes the issuer reports, never a
value from the file.

Exit status:

- 0: the batch is done and every row became an application;
- 1: the batch is done but some rows failed (they are listed), or the job itself failed;
- 2: nothing to follow: a usage error, no key, the issuer unreachable, or the upload refused
  (401 key, 403 jurisdiction, 413 too large, 415/422 unreadable file); nothing was queued.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Final, NoReturn

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["batch_group"]

DEFAULT_ISSUER_URL: Final = "http://127.0.0.1:8000"
_MEDIA_TYPES: Final = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
_FINAL_STATES: Final = ("done", "failed")
#: Polls that may fail in a row (issuer restarting) before the command gives up.
_MAX_POLL_FAILURES: Final = 5


def _fail(message: str, *, status: int = 2) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(status)


def _problem(response: httpx.Response) -> str:
    """A refused request in one line, from its RFC 9457 body (no file content is in it)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    where = f", {body['field']}" if isinstance(body.get("field"), str) else ""
    code = body.get("code", "error")
    detail = body.get("detail", response.reason_phrase)
    return f"the issuer refused the request ({response.status_code} {code}{where}): {detail}"


def _client(issuer_url: str, key: str | None, timeout: float) -> httpx.Client:
    if not key:
        _fail("no employer key: pass --key or set PERMIT_EMPLOYER_KEY")
    return httpx.Client(
        base_url=issuer_url.rstrip("/"),
        timeout=timeout,
        headers={"Authorization": f"Bearer {key}"},
    )


def _get_status(client: httpx.Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    if response.status_code != 200:
        _fail(_problem(response))
    status: dict[str, Any] = response.json()
    return status


def _follow(client: httpx.Client, url: str, *, poll_interval: float) -> dict[str, Any]:
    """Poll the batch until it ends, drawing a progress bar of processed rows."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    failures = 0
    with Progress(*columns, console=Console()) as progress:
        task = progress.add_task("batch", total=None, failed=0)
        while True:
            try:
                status = _get_status(client, url)
            except httpx.TransportError as exc:
                failures += 1
                if failures >= _MAX_POLL_FAILURES:
                    _fail(f"lost the issuer ({type(exc).__name__}); the batch goes on: {url}")
                time.sleep(poll_interval)
                continue
            failures = 0
            progress.update(
                task,
                total=int(status["total"]),
                completed=int(status["done"]) + int(status["failed"]),
                failed=int(status["failed"]),
            )
            if status["state"] in _FINAL_STATES:
                return status
            time.sleep(poll_interval)


def _summarise(status: dict[str, Any]) -> int:
    """Print the outcome and the row errors; return the exit status."""
    done, failed, total = int(status["done"]), int(status["failed"]), int(status["total"])
    if status["state"] == "failed":
        click.echo(
            f"batch {status['id']} FAILED after {done + failed} of {total} rows; "
            f"{done} became applications. Ask the issuer's operators."
        )
        return 1
    click.echo(
        f"batch {status['id']} done: {done} of {total} rows became applications, {failed} failed"
    )
    for error in status.get("errors", []):
        click.echo(f"row {error['row']}: {error['field']} {error['code']}")
    if status.get("errors_truncated"):
        click.echo("(more rows failed than the issuer lists; fix the listed rows and resubmit)")
    return 1 if failed else 0


@click.group("batch")
def batch_group() -> None:
    """Upload employees' applications in batches (employer API key) and follow them."""


_issuer_url = click.option(
    "--issuer-url",
    envvar="PERMIT_ISSUER_API_URL",
    default=DEFAULT_ISSUER_URL,
    show_default=True,
    show_envvar=True,
    help="Base URL of the issuer service.",
)
_key = click.option(
    "--key",
    envvar="PERMIT_EMPLOYER_KEY",
    show_envvar=True,
    help="Employer API key; prefer the environment variable (command lines are visible).",
)
_poll = click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.01),
    default=0.5,
    show_default=True,
    help="Seconds between progress checks.",
)
_timeout = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds each HTTP request may take.",
)


@batch_group.command("submit")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(_MEDIA_TYPES)),
    help="csv or json; by default from the file name (.csv, .json).",
)
@_issuer_url
@_key
@_poll
@_timeout
def batch_submit(
    file: Path,
    fmt: str | None,
    issuer_url: str,
    key: str | None,
    poll_interval: float,
    timeout: float,
) -> None:
    """Upload FILE (CSV or JSON) as a batch and show its progress until it ends."""
    fmt = fmt or file.suffix.lower().removeprefix(".")
    if fmt not in _MEDIA_TYPES:
        _fail("cannot tell the format from the file name; pass --format csv or --format json")
    content = file.read_bytes()
    with _client(issuer_url, key, timeout) as client:
        try:
            response = client.post(
                "/v1/batches", content=content, headers={"Content-Type": _MEDIA_TYPES[fmt]}
            )
            if response.status_code != 202:
                _fail(_problem(response))
            accepted = response.json()
            click.echo(f"batch {accepted['id']} accepted: {accepted['total']} rows")
            status = _follow(client, str(accepted["status_url"]), poll_interval=poll_interval)
        except httpx.HTTPError as exc:
            _fail(f"cannot reach the issuer at {issuer_url} ({type(exc).__name__})")
    raise SystemExit(_summarise(status))


@batch_group.command("status")
@click.argument("batch_id", type=click.UUID)
@_issuer_url
@_key
@_timeout
def batch_status(batch_id: uuid.UUID, issuer_url: str, key: str | None, timeout: float) -> None:
    """Show a batch's progress once (exit status as for submit; 1 while it still runs)."""
    with _client(issuer_url, key, timeout) as client:
        try:
            status = _get_status(client, f"/v1/batches/{batch_id}")
        except httpx.HTTPError as exc:
            _fail(f"cannot reach the issuer at {issuer_url} ({type(exc).__name__})")
    if status["state"] not in _FINAL_STATES:
        processed = int(status["done"]) + int(status["failed"])
        click.echo(f"batch {batch_id} {status['state']}: {processed} of {status['total']} rows")
        raise SystemExit(1)
    raise SystemExit(_summarise(status))
