"""`stargazer new` and `stargazer note` next to a notebook server that is already running.

Issue 17, item 10: `new` must point at the running server instead of suggesting a second
`stargazer note`, and `note` on a busy port must say so before printing any URL or token.
Real `stargazer note` processes on loopback, ports 18500-18549.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

STARGAZER = str(Path(sys.executable).with_name("stargazer"))
TEMPLATE = REPO_ROOT / "notebooks" / "scratch" / "template.py"


def _free_port(taken: set[int] = frozenset()) -> int:
    """A free port in 18500-18549, the range these tests may use."""
    for port in range(18500, 18550):
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 18500-18549")


def _wait_for_health(port: int, process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"stargazer note on {port} did not answer in time")


def _stargazer(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "STARGAZER_HOME"}
    return subprocess.run(
        [STARGAZER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A workspace with notebooks/ and a real `stargazer note` (edit mode) serving it."""
    workspace = tmp_path_factory.mktemp("ws")
    (workspace / "pyproject.toml").write_text("")
    (workspace / "notebooks" / "scratch").mkdir(parents=True)
    (workspace / "notebooks" / "scratch" / "template.py").write_text(TEMPLATE.read_text())
    port = _free_port()
    process = subprocess.Popen(
        [STARGAZER, "note", "notebooks", "--port", str(port)],
        cwd=workspace,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for_health(port, process, time.monotonic() + 60)
        yield workspace, port, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.mark.timeout(120)
def test_new_prints_the_url_of_the_notebook_in_the_running_server(server):
    """`new` names the running server and a URL that opens the new notebook in it."""
    workspace, port, process = server
    result = _stargazer("new", "scratch/mine", cwd=workspace)
    assert result.returncode == 0, result.stderr
    url = f"http://127.0.0.1:{port}/?file=scratch/mine.py"
    assert f"already running (pid {process.pid}, port {port}, edit mode)" in result.stdout
    assert f"  {url}\n" in result.stdout
    assert "stargazer note notebooks" not in result.stdout  # no second server suggested
    token = (workspace / ".stargazer" / "note-token").read_text().strip()
    assert token not in result.stdout + result.stderr

    # The URL opens that notebook in the server, in a browser session that has the token.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    opener.open(f"http://127.0.0.1:{port}/?access_token={token}", timeout=10).close()
    with opener.open(url, timeout=10) as response:
        assert response.status == 200
        assert "mine.py</marimo-filename>" in response.read().decode()
    with pytest.raises(urllib.error.HTTPError) as missing:  # the address names the file
        opener.open(f"http://127.0.0.1:{port}/?file=scratch/other.py", timeout=10)
    assert missing.value.code == 404


@pytest.mark.timeout(120)
def test_note_on_the_port_of_our_running_server_says_so_before_any_url(server):
    workspace, port, process = server
    token_file = workspace / ".stargazer" / "note-token"
    token = token_file.read_text()
    result = _stargazer("note", "notebooks", "--port", str(port), cwd=workspace)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert f"port {port} on 127.0.0.1 is already in use: your own `stargazer note` " in output
    assert f"(pid {process.pid}, edit mode, serving {workspace / 'notebooks'})" in output
    assert "--port 185" in output and "make note PORT=185" in output
    assert "http://" not in output and "access_token" not in output
    assert token_file.read_text() == token  # the running server's token is untouched
    record = json.loads((workspace / ".stargazer" / "note-servers" / f"{port}.json").read_text())
    assert record["pid"] == process.pid and "token" not in json.dumps(record)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
        assert response.status == 200  # and it still serves


@pytest.mark.timeout(60)
def test_note_on_a_port_another_program_holds_says_so_before_any_url(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    with socket.socket() as other:
        port = _free_port()
        other.bind(("127.0.0.1", port))
        other.listen()
        result = _stargazer("note", "notebooks", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert f"port {port} on 127.0.0.1 is already in use: another program listens there" in output
    assert "pick a free port: `stargazer note --port " in output and "make note PORT=" in output
    assert "http://" not in output and "access_token" not in output
    assert not (tmp_path / ".stargazer" / "note-token").exists()


def test_new_ignores_a_server_that_has_stopped(tmp_path, monkeypatch):
    """A record left by a server that died (pid gone, port closed) is not offered."""
    (tmp_path / "notebooks" / "scratch").mkdir(parents=True)
    (tmp_path / "notebooks" / "scratch" / "template.py").write_text(TEMPLATE.read_text())
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    records = tmp_path / ".stargazer" / "note-servers"
    records.mkdir(parents=True)
    (records / "18549.json").write_text(
        json.dumps({"port": 18549, "pid": int(finished.stdout), "host": "127.0.0.1",
                    "mode": "edit", "root": str(tmp_path / "notebooks")})
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["new", "scratch/later"])
    assert result.exit_code == 0, result.output
    assert "No notebook server is running for this workspace" in result.output
    assert "`make note` (or `stargazer note`)" in result.output
    assert "scratch/later.py from its file list" in result.output
    assert "18549" not in result.output
    assert not (records / "18549.json").exists()  # the dead server's record is cleared
