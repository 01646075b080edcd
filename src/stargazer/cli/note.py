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


#: The flag that accepts a server with no token on a non-loopback interface.
ACCEPT_FLAG = "--accept-open-network"

#: Where the access token is written (0600) for marimo to read, relative to the workspace.
TOKEN_FILE = Path(".stargazer") / "note-token"


def _token_args(token_file: Path | None) -> list[str]:
    """The token options for marimo: the token travels in a file, never on a command line."""
    if token_file is None:
        return ["--no-token"]
    return ["--token", "--token-password-file", str(token_file)]


def marimo_edit_command(path: Path, host: str, port: int, token_file: Path | None) -> list[str]:
    """The `marimo edit` command line that `stargazer note` runs.

    Args:
        path: A notebook or a folder of notebooks.
        host: The interface to listen on.
        port: The port to listen on.
        token_file: The 0600 file holding the access token, or None for no token.
    """
    command = [sys.executable, "-m", "marimo", "edit", str(path), "--headless"]
    command += ["--host", host, "--port", str(port), "--skip-update-check"]
    return command + _token_args(token_file)


def marimo_run_command(path: Path, host: str, port: int, token_file: Path | None) -> list[str]:
    """The `marimo run --include-code` command line for a single notebook in run mode."""
    command = [sys.executable, "-m", "marimo", "run", str(path), "--headless", "--include-code"]
    command += ["--host", host, "--port", str(port)]
    return command + _token_args(token_file)


def notebook_url(host: str, port: int, token: str | None) -> str:
    """The address of the server, naming the host it is bound to."""
    shown = f"[{host}]" if ":" in host else (host or "0.0.0.0")
    url = f"http://{shown}:{port}/"
    return f"{url}?access_token={token}" if token else url


def write_token_file(token: str) -> Path:
    """Write the access token where marimo reads it: 0600, in the workspace's `.stargazer/`.

    Falls back to a private temporary folder when the workspace cannot be written.
    """
    import tempfile

    from stargazer.access import write_private
    from stargazer.store import workspace_root

    path = workspace_root() / TOKEN_FILE
    try:
        write_private(path, token + "\n")
    except OSError:
        path = Path(tempfile.mkdtemp(prefix="stargazer-note-")) / "token"
        write_private(path, token + "\n")
    return path


def announce(host: str, port: int, token: str | None) -> None:
    """Print where the server listens (the host actually bound) and how exposed it is."""
    from stargazer.access import is_loopback

    click.echo(f"Stargazer notebooks: {notebook_url(host, port, token)}", err=True)
    if is_loopback(host):
        return
    wildcard = host in ("0.0.0.0", "::", "")
    where = "every interface of this machine" if wildcard else f"the interface {host}"
    click.echo(
        f"  listening on {where}: anyone who can reach port {port} can connect"
        + ("; the token is required." if token else "."),
        err=True,
    )
    if wildcard:
        click.echo(f"  on this machine: {notebook_url('localhost', port, token)}", err=True)
    if token is None:
        click.echo(
            f"WARNING: no access token on {notebook_url(host, port, None)}. Anyone on the "
            "network can open the editor, run code and read every file this user can read. "
            "Stop the server "
            f"unless this network is trusted ({ACCEPT_FLAG} was given).",
            err=True,
        )


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
    ACCEPT_FLAG,
    "accept_open",
    is_flag=True,
    help="With --no-token and a --host other than loopback: accept that anyone on the network "
    "can run code on this machine as you. Warns at every start.",
)
@click.option(
    "--mode",
    type=click.Choice(["edit", "run"]),
    default="edit",
    show_default=True,
    help="edit: marimo's editor. run: read-only apps with the code shown.",
)
def note(
    path: Path | None, port: int, host: str, token: bool, accept_open: bool, mode: str
) -> None:
    """Open the notebooks in marimo and print the URL.

    PATH is a notebook or a folder of notebooks; by default the workspace's `notebooks/`.
    In run mode every notebook under a folder is listed at `/` and served read-only with its
    code shown; notebooks added while the server runs appear without a restart.
    The access token is random at every start and reaches marimo through a file readable by
    you only (.stargazer/note-token), never on a command line. Stop the server with Ctrl-C.
    """
    from stargazer.access import is_loopback

    if not token and not is_loopback(host) and not accept_open:
        raise click.ClickException(
            f"--no-token with --host {host} would let anyone on the network open the editor, "
            f"run code and read your files. Keep the token (drop --no-token), listen on "
            f"127.0.0.1, or pass {ACCEPT_FLAG} if this network is trusted."
        )
    target = path or default_notebooks_dir()
    if not target.exists():
        raise click.ClickException(
            f"no notebooks at {target}: run from a Stargazer checkout or pass a PATH"
        )
    secret = secrets.token_urlsafe(16) if token else None
    announce(host, port, secret)
    sys.stderr.flush()
    if mode == "run" and target.is_dir():
        from stargazer.cli.note_run import serve_run_mode

        serve_run_mode(target, host, port, secret)
        return
    token_file = write_token_file(secret) if secret else None
    if mode == "run":
        command = marimo_run_command(target, host, port, token_file)
    else:
        command = marimo_edit_command(target, host, port, token_file)
    # marimo launches the `stargazer mcp` server named in marimo.toml by command name: put this
    # environment's scripts first on PATH so it is this installation, activated or not.
    scripts = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    os.execv(command[0], command)
