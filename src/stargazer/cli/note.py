"""`stargazer note`: serve the notebooks with marimo."""

from __future__ import annotations

import errno
import json
import os
import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from stargazer.cli.errors import CLIError


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


#: Where each running `stargazer note` records itself (port, pid, mode, folder; never the
#: token), one `<port>.json` per server, relative to the workspace.
SERVERS_DIR = Path(".stargazer") / "note-servers"


@dataclass(frozen=True)
class RunningServer:
    """A `stargazer note` server of this workspace that is up right now.

    Attributes:
        port: The port it listens on.
        pid: Its process id (marimo's, after `stargazer note` handed over to it).
        host: The interface it is bound to.
        mode: "edit" or "run".
        root: The notebook or folder of notebooks it serves (absolute).
    """

    port: int
    pid: int
    host: str
    mode: str
    root: Path

    def base_url(self) -> str:
        """The address to open it at, on the host name its own first URL used."""
        wildcard = self.host in ("0.0.0.0", "::", "")
        return notebook_url("localhost" if wildcard else self.host, self.port, None)

    def url_for(self, notebook: Path) -> str | None:
        """The URL of `notebook` in this server, or None when it does not serve that file.

        Edit mode over a folder addresses a file as `/?file=<path relative to the folder>`
        (marimo's directory workspace); run mode serves it at `/apps/<path without .py>/`.
        """
        from urllib.parse import quote

        notebook = notebook.resolve()
        if self.root == notebook:
            return self.base_url()
        if self.root not in notebook.parents:
            return None
        relative = notebook.relative_to(self.root).as_posix()
        if self.mode == "run":
            return f"{self.base_url()}apps/{quote(relative.removesuffix('.py'))}/?show-code=true"
        return f"{self.base_url()}?file={quote(relative)}"


def servers_dir() -> Path:
    """The folder where this workspace's notebook servers record themselves."""
    from stargazer.store import workspace_root

    return workspace_root() / SERVERS_DIR


def record_server(host: str, port: int, mode: str, root: Path) -> Path | None:
    """Record this process as the server on `port` (0600, no token); None if not writable."""
    from stargazer.access import write_private

    path = servers_dir() / f"{port}.json"
    state = {"port": port, "pid": os.getpid(), "host": host, "mode": mode, "root": str(root)}
    try:
        write_private(path, json.dumps(state) + "\n")
    except OSError:
        return None
    return path


def _is_server_process(pid: int) -> bool:
    """Whether `pid` is alive and (where /proc says) a marimo or stargazer process."""
    if not Path("/proc/self").exists():  # no /proc (macOS): being alive is all we can check
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"marimo" in command_line or b"stargazer" in command_line


def _connect_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return "::1" if host == "::" else host


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((_connect_host(host), port), timeout=1):
            return True
    except OSError:
        return False


def running_servers() -> list[RunningServer]:
    """This workspace's `stargazer note` servers that are up (alive and listening), by port.

    Records of servers that have stopped are ignored, and removed once their process is gone
    (a server killed by a signal cannot remove its own), so a crash never misleads.
    """
    found = []
    for path in sorted(servers_dir().glob("*.json")):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            server = RunningServer(
                port=int(state["port"]),
                pid=int(state["pid"]),
                host=str(state["host"]),
                mode=str(state["mode"]),
                root=Path(state["root"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not _is_server_process(server.pid):
            path.unlink(missing_ok=True)
        elif _accepts_connections(server.host, server.port):
            found.append(server)
    return found


def port_in_use(host: str, port: int) -> bool:
    """Whether another socket already listens on `host`:`port` (so the server could not start).

    Binds the way uvicorn does (`SO_REUSEADDR`), so a port with only closing connections
    counts as free. Other errors (an address this machine does not have) are left to the
    server to report.
    """
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        return False
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as err:
                if err.errno == errno.EADDRINUSE:
                    return True
    return False


def _free_port_after(host: str, port: int) -> int | None:
    return next((p for p in range(port + 1, port + 21) if not port_in_use(host, p)), None)


def busy_port_message(host: str, port: int) -> str:
    """Why `stargazer note` cannot start on `port`, who holds it, and how to pick another."""
    ours = next((s for s in running_servers() if s.port == port), None)
    if ours is not None:
        who = (
            f"your own `stargazer note` (pid {ours.pid}, {ours.mode} mode, serving {ours.root}) "
            "is already running there: keep using it in the browser tab where you opened it "
            f"(or stop it with Ctrl-C in its terminal, or `kill {ours.pid}`)"
        )
    else:
        who = f"another program listens there (`ss -ltnp 'sport = :{port}'` names it)"
    other = _free_port_after(host, port)
    pick = other if other is not None else port + 1
    return (
        f"port {port} on {host} is already in use: {who}. To start another server, pick a "
        f"free port: `stargazer note --port {pick}` or `make note PORT={pick}`."
    )


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
        raise CLIError(
            f"--no-token with --host {host} would let anyone on the network open the editor, "
            f"run code and read your files. Keep the token (drop --no-token), listen on "
            f"127.0.0.1, or pass {ACCEPT_FLAG} if this network is trusted."
        )
    target = path or default_notebooks_dir()
    if not target.exists():
        raise CLIError(f"no notebooks at {target}: run from a Stargazer checkout or pass a PATH")
    if port_in_use(host, port):
        # Before any URL: a server that will not start must not print an address or token.
        raise CLIError(busy_port_message(host, port))
    secret = secrets.token_urlsafe(16) if token else None
    announce(host, port, secret)
    sys.stderr.flush()
    if mode == "run" and target.is_dir():
        from stargazer.cli.note_run import serve_run_mode

        record = record_server(host, port, mode, target.resolve())
        try:
            serve_run_mode(target, host, port, secret)
        finally:
            if record is not None:
                record.unlink(missing_ok=True)
        return
    token_file = write_token_file(secret) if secret else None
    # The pid stays the same through `execv`: the record names marimo's process.
    record_server(host, port, mode, target.resolve())
    if mode == "run":
        command = marimo_run_command(target, host, port, token_file)
    else:
        command = marimo_edit_command(target, host, port, token_file)
    # marimo launches the `stargazer mcp` server named in marimo.toml by command name: put this
    # environment's scripts first on PATH so it is this installation, activated or not.
    scripts = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    os.execv(command[0], command)
