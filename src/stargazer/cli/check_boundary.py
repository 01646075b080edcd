"""`stargazer check-boundary`: every kind of boundary violation (see `stargazer.boundary`)."""

from __future__ import annotations

from pathlib import Path

import click

from stargazer.boundary import CHECKS, check_paths, workspace_root
from stargazer.cli.errors import CLIError


@click.command("check-boundary")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--check",
    "check",
    type=click.Choice(CHECKS),
    default="all",
    show_default=True,
    help="sdk: nothing outside notebooks/ uses a notebook; notebooks: notebooks import only "
    "the public SDK; all: both.",
)
def check_boundary(paths: tuple[Path, ...], check: str) -> None:
    """Check that nothing uses a notebook, notebooks use the public SDK, and layers hold.

    PATHs are files or folders (default: the workspace). Reports every kind of violation:
    static imports of `notebooks` (SG005), importlib/__import__ of them (SG001), runpy/exec of
    a notebook file (SG002), sys.path changes that put notebooks/ on the path (SG003), marimo
    loading a notebook app from SDK code (SG004); notebooks importing a private `_module`
    (SG010) or a package off the public surface such as `stargazer.store` (SG011); and, in
    src/stargazer, imports up the layers (SG020) or from unplaced packages (SG021). Prints
    `file:line:col CODE message` per finding and exits 1 if there is any.
    """
    targets = list(paths) or [workspace_root(Path.cwd())]
    try:
        findings, checked = check_paths(targets, check=check)
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err
    for finding in findings:
        click.echo(finding.format())
    noun = "file" if checked == 1 else "files"
    if findings:
        raise CLIError(
            f"check-boundary: {len(findings)} boundary violation(s) in {checked} {noun} checked"
        )
    click.echo(f"check-boundary: {checked} {noun} checked, no boundary violations")
