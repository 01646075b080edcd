"""The `stargazer` click group.

Commands live in their own modules and are imported only when invoked, so
`stargazer --help` stays fast even though the commands use pysam, scanpy and marimo.
To add a command, write `stargazer/cli/<name>.py` with a click command and list it
in `COMMANDS` below.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TextIO

import click

from stargazer import __version__

# command name -> (module, attribute, one-line help shown by `stargazer --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "assets": ("stargazer.cli.assets", "assets", "Add, list, export and verify stored assets."),
    "cache": (
        "stargazer.cli.cache",
        "cache",
        "List, clear and explain cached task results (why a task hit or missed).",
    ),
    "check-boundary": (
        "stargazer.cli.check_boundary",
        "check_boundary",
        "Check that nothing imports notebooks/ and notebooks use the public SDK.",
    ),
    "demo": ("stargazer.cli.demo", "demo", "Generate demo data with known truth and register it."),
    "mcp": ("stargazer.cli.mcp", "mcp", "Serve tasks, workflows and assets to MCP clients."),
    "new": ("stargazer.cli.new", "new", "Create a scratch notebook from the template."),
    "note": ("stargazer.cli.note", "note", "Open the notebooks in marimo (edit mode by default)."),
    "promote-task": (
        "stargazer.cli.promote_task",
        "promote_task",
        "Move a task from a notebook cell into the SDK, with a test and a branch.",
    ),
    "review": (
        "stargazer.cli.review",
        "review",
        "Review this branch against the project's conventions (docstrings, assets, tests).",
    ),
    "run": ("stargazer.cli.run", "run", "Run a workflow on stored assets (ids or queries)."),
}


class LazyGroup(click.Group):
    """A click group that imports each command's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All command names, sorted."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the command, or None for an unknown name."""
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands with their one-line help, without importing them."""
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="stargazer")
def cli() -> None:
    """Stargazer: a research workspace for computational biology.

    Run `stargazer note` to open the notebooks; `stargazer COMMAND --help` explains each command.
    """
    warnings.showwarning = _one_line_warning


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning as one line (`warning: ...`), without Python's file and line."""
    click.echo(f"warning: {message}", err=True)
