"""The one ``permit`` command (DESIGN §1), grouping the subcommands of every part.

Subcommands are registered by dotted path and imported only when invoked, so ``permit verify``
never loads the issuer, FastAPI or SQLAlchemy and answers in well under a second. Their
one-line summaries are kept here too, so ``permit --help`` lists them without importing any
(importing all of them took ~2 s); ``tests/test_cli_registry.py`` keeps the two in step.
"""

from __future__ import annotations

import importlib

import click

#: name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "verify": "verifier.cli:verify",
    "keys": "keys.cli:keys_group",
    "trust-list": "keys.cli:trust_list_group",
    "eligibility": "issuer.eligibility.cli:eligibility",
    "demo": "permit_cli.demo:demo",
    "serve": "permit_cli.serve:serve",
    "db": "issuer.cli:db_group",
    "audit": "issuer.cli:audit_group",
    "officer": "issuer.cli:officer_group",
    "employer": "issuer.cli:employer_group",
    "batch": "issuer.batch_cli:batch_group",
}

#: name -> the command's short help (the first sentence of its docstring, as click takes it).
SUMMARIES: dict[str, str] = {
    "audit": "Inspect the hash-chained audit log.",
    "batch": "Upload employees' applications in batches (employer API key) and follow them.",
    "db": "Create and migrate the issuer database (Alembic).",
    "demo": "Run the end-to-end demo on embedded defaults and check every step.",
    "eligibility": (
        'Decide residence-permit eligibility for the facts in FACTS.json ("-" reads stdin).'
    ),
    "employer": "Manage employer accounts (they upload batch applications with an API key).",
    "keys": "Signing key rings: generate, rotate, retire, export the public JWKS.",
    "officer": "Manage officer accounts.",
    "serve": "Run a service: issuer, wallet or verifier.",
    "trust-list": "Trust lists of DESIGN §5: build from issuer entries, sign, verify.",
    "verify": "Verify a residence-permit presentation.",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`SUMMARIES`, without importing a single subcommand."""
        names = self.list_commands(ctx)
        # click's own layout: the summary is cut to what fits beside the longest name.
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = [
            (name, click.Command(name, help=SUMMARIES.get(name, "")).get_short_help_str(limit))
            for name in names
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self._lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="residence-permit")
def cli() -> None:
    """Electronic residence permits (居住证): issuer, wallet and verifier tools."""


def main() -> None:
    """Console-script entry point."""
    cli()
