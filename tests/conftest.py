"""Shared fixtures: an isolated workspace for anything that writes Flyte or store state."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch workspace with the repo's Flyte config and its own store, as the cwd.

    Flyte looks for `./.flyte/config.yaml` before the git root's, so tasks run here keep
    their run history and cache in `tmp_path`, never in the developer's checkout.
    """
    (tmp_path / ".flyte").mkdir()
    shutil.copy(REPO_ROOT / ".flyte" / "config.yaml", tmp_path / ".flyte" / "config.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STARGAZER_HOME", str(tmp_path / ".stargazer"))
    monkeypatch.delenv("STARGAZER_STORE", raising=False)
    return tmp_path


@pytest.fixture
def subprocess_env(workspace: Path) -> dict[str, str]:
    """Environment for child processes that should use the scratch workspace."""
    env = dict(os.environ)
    env["STARGAZER_HOME"] = str(workspace / ".stargazer")
    return env
