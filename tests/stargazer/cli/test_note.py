import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import REPO_ROOT, free_port

from stargazer.cli.main import cli
from stargazer.cli.note import marimo_edit_command, notebook_url


def test_bad_port_is_a_clear_error():
    result = CliRunner().invoke(cli, ["note", "--port", "eighty"])
    assert result.exit_code == 2
    assert "'eighty' is not a valid integer" in result.output


def test_missing_path_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["note", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_command_line_with_and_without_token():
    with_token = marimo_edit_command(Path("nb"), "127.0.0.1", 9000, "s3cret")
    assert with_token[1:5] == ["-m", "marimo", "edit", "nb"]
    assert "--headless" in with_token
    assert with_token[-3:] == ["--token", "--token-password", "s3cret"]
    assert marimo_edit_command(Path("nb"), "0.0.0.0", 9000, None)[-1] == "--no-token"
    assert notebook_url("0.0.0.0", 8080, None) == "http://localhost:8080/"
    assert notebook_url("127.0.0.1", 81, "t") == "http://127.0.0.1:81/?access_token=t"


def _wait_for_http(url: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"{url} did not answer in time")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/stat")
    try:
        return status.read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.timeout(120)
def test_note_serves_http_and_stops_cleanly_on_sigterm():
    port = free_port()
    stargazer = Path(sys.executable).with_name("stargazer")
    process = subprocess.Popen(
        [str(stargazer), "note", "--port", str(port), "--no-token"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        status = _wait_for_http(f"http://127.0.0.1:{port}/health", time.monotonic() + 60)
        assert status == 200
        assert _wait_for_http(f"http://127.0.0.1:{port}/", time.monotonic() + 10) == 200
        children = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        output = process.stdout.read()
        assert f"http://127.0.0.1:{port}/" in output
        deadline = time.monotonic() + 15
        while [c for c in children if _alive(c)] and time.monotonic() < deadline:
            time.sleep(0.2)
        orphans = [c for c in children if _alive(c)]
        assert not orphans, f"processes left behind after SIGTERM: {orphans}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
