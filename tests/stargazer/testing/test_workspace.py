"""The workspace helpers and the pytest fixtures of `stargazer.testing.fixtures`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import stargazer
from stargazer.testing import checkout_root, free_port, prepare_workspace
from stargazer.testing.s3 import s3_client


def test_checkout_root_holds_the_imported_package():
    root = checkout_root()
    assert (root / "pyproject.toml").is_file()
    assert Path(stargazer.__file__).resolve().is_relative_to(root / "src" / "stargazer")


def test_checkout_root_refuses_an_installed_package(tmp_path: Path):
    installed = tmp_path / "site-packages" / "stargazer"
    installed.mkdir(parents=True)
    code = (
        "import stargazer, pathlib;"
        f"stargazer.__file__ = {str(installed / '__init__.py')!r};"
        "from stargazer.testing import checkout_root; checkout_root()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "not from a source checkout" in result.stderr and str(installed) in result.stderr


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_prepare_workspace_copies_the_local_flyte_config(tmp_path: Path):
    folder = prepare_workspace(tmp_path / "w")
    copied = folder / ".flyte" / "config.yaml"
    assert copied.read_bytes() == (checkout_root() / ".flyte" / "config.yaml").read_bytes()


def test_workspace_fixture_is_the_cwd_with_its_own_store(workspace: Path):
    assert Path.cwd() == workspace
    assert os.environ["STARGAZER_HOME"] == str(workspace / ".stargazer")
    assert "STARGAZER_STORE" not in os.environ
    assert (workspace / ".flyte" / "config.yaml").is_file()


def test_subprocess_env_points_children_at_the_workspace(workspace: Path, subprocess_env):
    code = "import os; print(os.environ['STARGAZER_HOME'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True
    ).stdout
    assert out.strip() == str(workspace / ".stargazer")


def test_s3_server_answers_the_s3_api(s3_server: str):
    client = s3_client(s3_server)
    client.create_bucket(Bucket="probe")
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["probe"]
