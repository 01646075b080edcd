import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.cli.note import marimo_edit_command, notebook_url
from stargazer.testing import checkout_root, free_port

REPO_ROOT = checkout_root()


def test_bad_port_is_a_clear_error():
    result = CliRunner().invoke(cli, ["note", "--port", "eighty"])
    assert result.exit_code == 2
    assert "'eighty' is not a valid integer" in result.output


def test_missing_path_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["note", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_command_line_with_and_without_token():
    with_token = marimo_edit_command(Path("nb"), "127.0.0.1", 9000, Path("/w/.stargazer/t"))
    assert with_token[1:5] == ["-m", "marimo", "edit", "nb"]
    assert "--headless" in with_token
    assert with_token[-3:] == ["--token", "--token-password-file", "/w/.stargazer/t"]
    assert "--token-password" not in with_token
    assert marimo_edit_command(Path("nb"), "0.0.0.0", 9000, None)[-1] == "--no-token"
    assert notebook_url("0.0.0.0", 8080, None) == "http://0.0.0.0:8080/"
    assert notebook_url("::", 8080, None) == "http://[::]:8080/"
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


def _port_in_range() -> int:
    """A free port in 18100-18199, the range these tests may use."""
    import socket

    for port in range(18199, 18099, -1):
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 18100-18199")


def _process_tree(root: int) -> list[int]:
    """`root` and every process below it, from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += parents.get(pid, [])
    return tree


def _tiny_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "hello.py").write_text(
        "import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    return\n\n\n"
        'if __name__ == "__main__":\n    app.run()\n'
    )
    return folder


@pytest.mark.timeout(120)
def test_the_token_is_on_no_command_line_of_the_server_tree(tmp_path):
    """Case 2: the access token reaches marimo by a 0600 file, never by argv."""
    import re

    notebooks = _tiny_notebooks(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    port = _port_in_range()
    stargazer = Path(sys.executable).with_name("stargazer")
    process = subprocess.Popen(
        [str(stargazer), "note", str(notebooks), "--port", str(port)],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        first = process.stderr.readline()
        match = re.search(rf"http://127\.0\.0\.1:{port}/\?access_token=(\S+)", first)
        assert match, first
        token = match.group(1)
        assert _wait_for_http(f"http://127.0.0.1:{port}/health", time.monotonic() + 60) == 200
        tree = _process_tree(process.pid)
        command_lines = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in tree}
        assert any(b"marimo" in line for line in command_lines.values())
        for pid, line in command_lines.items():
            assert token.encode() not in line, (pid, line.replace(b"\0", b" "))
        everywhere = [p for p in Path("/proc").glob("[0-9]*/cmdline") if p.exists()]
        for cmdline in everywhere:
            try:
                assert token.encode() not in cmdline.read_bytes(), cmdline
            except OSError:
                continue
        token_file = tmp_path / ".stargazer" / "note-token"
        assert token_file.read_text().strip() == token
        assert token_file.stat().st_mode & 0o777 == 0o600

        # The token from the file is the one marimo checks: it opens a session; a wrong one
        # is sent to the login page.
        opener = urllib.request.build_opener(_NoRedirect)
        for given, expected in ((token, "/"), ("wrong", "/auth/login")):
            try:
                opener.open(f"http://127.0.0.1:{port}/?access_token={given}", timeout=10)
            except urllib.error.HTTPError as err:
                assert err.code in (302, 303, 307), err.code
                assert err.headers["location"].startswith(expected), err.headers["location"]
            else:
                raise AssertionError(f"?access_token={given} was not redirected")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7"])
def test_no_token_on_a_network_interface_is_refused(tmp_path, host):
    """Case 3: --no-token with a non-loopback --host refuses unless explicitly accepted."""
    _tiny_notebooks(tmp_path)
    stargazer = Path(sys.executable).with_name("stargazer")
    command = [str(stargazer), "note", "notebooks", "--host", host, "--no-token"]
    process = subprocess.Popen(
        [*command, "--port", str(_port_in_range())],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"stargazer note --host {host} --no-token started a server") from None
    assert process.returncode == 1, output
    assert f"--no-token with --host {host} would let anyone on the network" in output
    assert "--accept-open-network" in output
    assert "http://" not in output


@pytest.mark.timeout(60)
def test_accepted_open_server_names_its_host_and_warns(tmp_path):
    _tiny_notebooks(tmp_path)
    port = _port_in_range()
    stargazer = Path(sys.executable).with_name("stargazer")
    process = subprocess.Popen(
        [str(stargazer), "note", "notebooks", "--host", "0.0.0.0", "--no-token",
         "--accept-open-network", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    lines = []
    try:
        while not any(line.startswith("WARNING") for line in lines):
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
    printed = "".join(lines)
    assert f"Stargazer notebooks: http://0.0.0.0:{port}/\n" in printed
    assert "listening on every interface of this machine" in printed
    assert f"WARNING: no access token on http://0.0.0.0:{port}/. Anyone" in printed
