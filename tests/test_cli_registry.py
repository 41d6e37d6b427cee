"""Every lazily registered ``permit`` subcommand resolves to a click command."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from permit_cli.main import COMMANDS, SUMMARIES, cli
from permit_cli.serve import SERVICES, serve


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_top_level_commands_resolve(name: str) -> None:
    assert isinstance(cli.get_command(click.Context(cli), name), click.Command)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_serve_commands_resolve(name: str) -> None:
    assert isinstance(serve.get_command(click.Context(serve), name), click.Command)


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_help_looks_as_click_would_print_it() -> None:
    """The static list is laid out exactly as click lays out imported commands."""

    class Imported(click.Group):
        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted(COMMANDS)

        def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
            return cli.get_command(ctx, cmd_name)

    reference = Imported(
        name=cli.name, help=cli.help, params=cli.params, context_settings=cli.context_settings
    )
    expected = CliRunner().invoke(reference, ["--help"]).output
    assert CliRunner().invoke(cli, ["--help"]).output == expected


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_static_summary_is_the_commands_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert SUMMARIES[name] == command.get_short_help_str(limit=10_000)


def test_help_imports_no_subcommand() -> None:
    """``permit --help`` must stay as fast as the start-up: no subcommand module is loaded."""
    modules = sorted({target.split(":")[0] for target in COMMANDS.values()})
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from permit_cli.main import cli\n"
        "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
        f"print(sorted(m for m in {modules!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
