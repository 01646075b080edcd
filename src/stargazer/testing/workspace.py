"""A scratch workspace for tests: where the checkout is, a free port, a fresh Flyte cache.

The pytest fixtures built on these are in `stargazer.testing.fixtures`.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import stargazer


def checkout_root() -> Path:
    """The source checkout `stargazer` is imported from (the folder holding `src/stargazer`).

    Raises:
        RuntimeError: stargazer is installed as a package, not from a checkout.
    """
    root = Path(stargazer.__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "src" / "stargazer").is_dir():
        raise RuntimeError(
            f"stargazer is imported from {Path(stargazer.__file__).parent}, not from a source "
            "checkout; install the workspace in editable mode (pip install -e .) to test it"
        )
    return root


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def forget_flyte_local_db() -> None:
    """Make flyte reopen its local cache database for the next workspace.

    flyte 2.12 keeps one SQLite connection per process in class attributes of its private
    `LocalDB`, opened next to whichever config was read first. Without this, a test in a new
    workspace would read and write the previous workspace's task cache.
    """
    from flyte._persistence._db import LocalDB

    with LocalDB._lock:
        if LocalDB._conn_sync is not None:
            LocalDB._conn_sync.close()
        LocalDB._conn_sync = None
        LocalDB._conn = None
        LocalDB._initialized = False
        LocalDB._async_lock = None


def prepare_workspace(folder: Path, flyte_config: Path | None = None) -> Path:
    """Give `folder` the checkout's `.flyte/config.yaml` (local execution); returns `folder`.

    Flyte looks for `./.flyte/config.yaml` before the git root's, so tasks run with `folder`
    as the cwd keep their run history and cache there, never in the developer's checkout.
    """
    source = flyte_config or checkout_root() / ".flyte" / "config.yaml"
    (folder / ".flyte").mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / ".flyte" / "config.yaml")
    return folder
