"""`stargazer note`: serve the notebooks with marimo."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click


def default_notebooks_dir() -> Path:
    """The `notebooks/` folder of the workspace the command is run from.

    Looks in the current directory and its parents, so `stargazer note` works from any
    sub-folder of a checkout; falls back to `./notebooks`.
    """
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir():
            return folder / "notebooks"
    return here / "notebooks"


def marimo_edit_command(path: Path, host: str, port: int, token: str | None) -> list[str]:
    """The `marimo edit` command line that `stargazer note` runs."""
    command = [sys.executable, "-m", "marimo", "edit", str(path), "--headless"]
    command += ["--host", host, "--port", str(port), "--skip-update-check"]
    command += ["--token", "--token-password", token] if token else ["--no-token"]
    return command


def marimo_run_command(path: Path, host: str, port: int, token: str | None) -> list[str]:
    """The `marimo run --include-code` command line for a single notebook in run mode."""
    command = [sys.executable, "-m", "marimo", "run", str(path), "--headless", "--include-code"]
    command += ["--host", host, "--port", str(port)]
    command += ["--token", "--token-password", token] if token else ["--no-token"]
    return command


def notebook_url(host: str, port: int, token: str | None) -> str:
    """The address a browser opens; wildcard hosts are shown as localhost."""
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{shown}:{port}/"
    return f"{url}?access_token={token}" if token else url


@click.command()
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, path_type=Path),
)
@click.option("--port", "-p", default=8080, show_default=True, help="Port to serve on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; 0.0.0.0 inside a container.",
)
@click.option(
    "--token/--no-token",
    default=True,
    show_default=True,
    help="Require an access token in the URL. Use --no-token only on a trusted machine.",
)
@click.option(
    "--mode",
    type=click.Choice(["edit", "run"]),
    default="edit",
    show_default=True,
    help="edit: marimo's editor. run: read-only apps with the code shown.",
)
def note(path: Path | None, port: int, host: str, token: bool, mode: str) -> None:
    """Open the notebooks in marimo and print the URL.

    PATH is a notebook or a folder of notebooks; by default the workspace's `notebooks/`.
    In run mode every notebook under a folder is listed at `/` and served read-only with its
    code shown; notebooks added while the server runs appear without a restart.
    Stop the server with Ctrl-C.
    """
    target = path or default_notebooks_dir()
    if not target.exists():
        raise click.ClickException(
            f"no notebooks at {target}: run from a Stargazer checkout or pass a PATH"
        )
    secret = secrets.token_urlsafe(16) if token else None
    click.echo(f"Stargazer notebooks: {notebook_url(host, port, secret)}", err=True)
    sys.stderr.flush()
    if mode == "run" and target.is_dir():
        from stargazer.cli.note_run import serve_run_mode

        serve_run_mode(target, host, port, secret)
        return
    if mode == "run":
        command = marimo_run_command(target, host, port, secret)
    else:
        command = marimo_edit_command(target, host, port, secret)
    # marimo launches the `stargazer mcp` server named in marimo.toml by command name: put this
    # environment's scripts first on PATH so it is this installation, activated or not.
    scripts = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    os.execv(command[0], command)
