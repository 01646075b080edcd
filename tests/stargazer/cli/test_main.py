"""The `stargazer` group: what `--help` lists is what runs, and listing it imports nothing."""

import subprocess
import sys

import click
from click.testing import CliRunner

import stargazer
from stargazer.cli.errors import CLIError
from stargazer.cli.main import COMMANDS, cli


def _listed_commands(help_text: str) -> dict[str, str]:
    """Command name -> one-line help, from the `Commands:` section of `--help`."""
    section = help_text.split("Commands:\n", 1)[1]
    lines = section.splitlines()
    rows = [line.split(None, 1) for line in lines if line[:2] == "  " and line[2:3] != " "]
    return {row[0]: row[1].strip() if len(row) > 1 else "" for row in rows}


def test_every_listed_command_dispatches_to_its_own_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = _listed_commands(result.output)
    assert "run" in listed and "check-boundary" in listed and "mcp" in listed
    for name in listed:
        help_result = CliRunner().invoke(cli, [name, "--help"], prog_name="stargazer")
        assert help_result.exit_code == 0, help_result.output
        assert help_result.output.startswith(f"Usage: stargazer {name} "), help_result.output


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert stargazer.__version__ in result.output


def test_unknown_command_is_a_clear_error():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def test_command_errors_are_one_line_with_exit_status_1():
    """Every command reports failures through `CLIError`: `Error: ...`, exit 1, no traceback."""
    assert issubclass(CLIError, click.ClickException)
    result = CliRunner().invoke(cli, ["run", "no_such_workflow"], prog_name="stargazer")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no workflow named 'no_such_workflow'; known: ")
    assert "Traceback" not in result.output


def test_help_imports_no_command_module_and_no_heavy_library():
    """`stargazer --help` lists commands from their names alone: nothing behind them loads."""
    heavy = ("pysam", "scanpy", "marimo", "flyte", "anndata", "mcp", "pydantic")
    commands = sorted({module for module, _, _ in COMMANDS.values()})
    code = (
        "import sys; from stargazer.cli.main import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        f"names = {heavy + tuple(commands)!r}\n"
        "print('LOADED=' + ','.join(m for m in names if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED=\n" in out.stdout, out.stdout
    assert "Commands:" in out.stdout
