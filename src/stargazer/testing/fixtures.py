"""Pytest fixtures for Stargazer tests: a scratch workspace, its environment, an S3 server.

Load them from your `tests/conftest.py` (pytest's way of sharing fixtures from a package):

    pytest_plugins = ["stargazer.testing.fixtures"]

then ask for them by name:

    def test_my_task(workspace):        # cwd is a fresh folder with its own store and cache
        reads = reads_asset(workspace)
        ...
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from stargazer.testing.workspace import forget_flyte_local_db, free_port, prepare_workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch workspace with the checkout's Flyte config and its own store, as the cwd.

    Tasks run here keep their run history and cache in `tmp_path`; assets go to
    `tmp_path/.stargazer` (`STARGAZER_HOME`), never to the developer's store.
    """
    prepare_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STARGAZER_HOME", str(tmp_path / ".stargazer"))
    monkeypatch.delenv("STARGAZER_STORE", raising=False)
    forget_flyte_local_db()
    yield tmp_path
    forget_flyte_local_db()


@pytest.fixture
def subprocess_env(workspace: Path) -> dict[str, str]:
    """Environment for child processes that should use the scratch workspace."""
    env = dict(os.environ)
    env["STARGAZER_HOME"] = str(workspace / ".stargazer")
    return env


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """A moto S3 server (the real S3 API) in its own process on a free loopback port.

    Needs `moto[server]` (a dev dependency). Yields the endpoint URL.
    """
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
                raise RuntimeError(f"moto server did not start on port {port}") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
