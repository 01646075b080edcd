"""Shared fixtures: an isolated workspace for anything that writes Flyte or store state."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _forget_flyte_local_db() -> None:
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


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch workspace with the repo's Flyte config and its own store, as the cwd.

    Flyte looks for `./.flyte/config.yaml` before the git root's, so tasks run here keep
    their run history and cache in `tmp_path`, never in the developer's checkout.
    """
    (tmp_path / ".flyte").mkdir()
    shutil.copy(REPO_ROOT / ".flyte" / "config.yaml", tmp_path / ".flyte" / "config.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STARGAZER_HOME", str(tmp_path / ".stargazer"))
    monkeypatch.delenv("STARGAZER_STORE", raising=False)
    _forget_flyte_local_db()
    yield tmp_path
    _forget_flyte_local_db()


@pytest.fixture
def subprocess_env(workspace: Path) -> dict[str, str]:
    """Environment for child processes that should use the scratch workspace."""
    env = dict(os.environ)
    env["STARGAZER_HOME"] = str(workspace / ".stargazer")
    return env


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """A moto S3 server in its own process on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
