"""`stargazer new scratch/NAME`: start a scratch notebook from the template."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import click

from stargazer.cli.errors import CLIError

#: Notebook names: a letter, then letters, digits, `_` or `-` (they become module-like files).
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

#: The heading line of the template that is replaced by the new notebook's name.
TEMPLATE_HEADING = "# Scratch notebook: template"


def packaged_template() -> str:
    """The scratch template shipped inside the package (used when no checkout is around)."""
    return files("stargazer").joinpath("templates", "scratch.py.tmpl").read_text(encoding="utf-8")


def template_text(notebooks_dir: Path) -> str:
    """The workspace's `notebooks/scratch/template.py` if there is one, else the packaged copy."""
    workspace_template = notebooks_dir / "scratch" / "template.py"
    if workspace_template.is_file():
        return workspace_template.read_text(encoding="utf-8")
    return packaged_template()


def parse_target(target: str) -> str:
    """The NAME in `scratch/NAME` (a trailing `.py` is allowed), or a CLIError."""
    kind, _, name = target.partition("/")
    name = name.removesuffix(".py")
    if kind != "scratch" or not name:
        raise CLIError(
            f"unknown target {target!r}: use scratch/NAME, e.g. `stargazer new scratch/my_qc`"
        )
    if not NAME_PATTERN.fullmatch(name):
        raise CLIError(
            f"bad notebook name {name!r}: start with a letter and use only letters, digits, "
            "'_' and '-', e.g. scratch/coverage_qc"
        )
    return name


def how_to_open(notebook: Path, notebooks_dir: Path) -> list[str]:
    """Lines that say how to open `notebook`: in a server already running, else how to start one.

    A `stargazer note` of this workspace that serves the notebook (edit mode preferred) gives
    its URL for the file; the browser tab that already has that server open is signed in, so
    no token is printed. With none running, `make note` / `stargazer note` starts one.
    """
    from stargazer.cli.note import running_servers

    servers = sorted(running_servers(), key=lambda server: server.mode != "edit")
    for server in servers:
        url = server.url_for(notebook)
        if url is None:
            continue
        lines = [
            f"Open it in the notebook server already running (pid {server.pid}, port "
            f"{server.port}, {server.mode} mode):",
            f"  {url}",
            "  in the browser where that server is open (it is signed in there already).",
        ]
        if server.mode == "run":
            lines.append("  Run mode is read-only: to edit it, use `stargazer note` (edit mode).")
        return lines
    try:
        relative = notebook.resolve().relative_to(notebooks_dir.resolve()).as_posix()
    except ValueError:
        relative = str(notebook)
    return [
        "No notebook server is running for this workspace. Start one with `make note` (or "
        f"`stargazer note`) and open {relative} from its file list.",
    ]


@click.command()
@click.argument("target")
def new(target: str) -> None:
    """Create notebooks/scratch/NAME.py from the scratch template.

    TARGET is scratch/NAME. The new notebook shows how to define a task in a cell, run it on
    real assets and promote it with `stargazer promote-task`. An existing file is never
    overwritten.
    """
    from stargazer.cli.note import default_notebooks_dir

    name = parse_target(target)
    notebooks_dir = default_notebooks_dir()
    destination = notebooks_dir / "scratch" / f"{name}.py"
    if destination.exists():
        raise CLIError(
            f"{destination} already exists: pick another name, or open it:\n"
            + "\n".join(how_to_open(destination, notebooks_dir))
        )
    text = template_text(notebooks_dir).replace(TEMPLATE_HEADING, f"# Scratch notebook: {name}", 1)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("x", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"Created {destination}")
    for line in how_to_open(destination, notebooks_dir):
        click.echo(line)
    click.echo(f"Run it as a script with:  python {destination}")
