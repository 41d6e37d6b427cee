"""Every lazily registered ``permit`` subcommand resolves to a click command."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from permit_cli.main import COMMANDS, cli
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
