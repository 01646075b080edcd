"""`stargazer check-boundary`: the boundary rule checks that a static import rule misses."""

from __future__ import annotations

from pathlib import Path

import click

from stargazer.boundary import CHECKS, check_paths, workspace_root


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
    """Check that nothing outside notebooks/ uses a notebook, and notebooks use the public SDK.

    PATHs are files or folders (default: the workspace). Catches what ruff's TID251 rule
    cannot see: importlib/__import__ of `notebooks...`, runpy/exec of a notebook file,
    sys.path changes that put notebooks/ on the path, marimo loading a notebook app from
    SDK code, and notebooks importing private `stargazer._modules`. Prints
    `file:line:col CODE message` per finding and exits 1 if there is any.
    """
    targets = list(paths) or [workspace_root(Path.cwd())]
    try:
        findings, checked = check_paths(targets, check=check)
    except (FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    for finding in findings:
        click.echo(finding.format())
    noun = "file" if checked == 1 else "files"
    if findings:
        raise click.ClickException(
            f"check-boundary: {len(findings)} boundary violation(s) in {checked} {noun} checked"
        )
    click.echo(f"check-boundary: {checked} {noun} checked, no boundary violations")
