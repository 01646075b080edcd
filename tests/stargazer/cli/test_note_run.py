import shutil
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
from stargazer.cli.note import marimo_run_command
from stargazer.cli.note_run import index_page, list_notebooks
from stargazer.testing import checkout_root, free_port

REPO_ROOT = checkout_root()

WELCOME = REPO_ROOT / "notebooks" / "welcome.py"
# Keeps the access cookie that run mode sets after the first URL with a token, like a browser.
OPENER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def _get(url: str, deadline: float) -> tuple[int, str]:
    while True:
        try:
            with OPENER.open(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def test_list_notebooks_skips_private_and_marimo_folders(tmp_path):
    for name in ["a.py", "sub/b.py", "_hidden.py", "__marimo__/c.py", "sub/_d.py", "e.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert list_notebooks(tmp_path) == ["a", "sub/b"]
    page = index_page(tmp_path, "t")
    assert '<a href="/apps/sub/b/?show-code=true&amp;access_token=t">' in page
    assert '<span class="title">B</span><span class="path">sub/b.py</span>' in page


def _port_in_range() -> int:
    """A free port in 18550-18599, the range these tests may use."""
    import socket

    for port in range(18550, 18600):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 18550-18599")


@pytest.mark.timeout(120)
def test_run_mode_index_lists_welcome_then_tutorials_in_order_with_titles(tmp_path):
    """Issue 17 item 10: the index at `/`, fetched over HTTP from the real run-mode server."""
    import re

    notebooks = tmp_path / "notebooks"
    shutil.copytree(REPO_ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns("__*"))
    # A tenth tutorial sorts after the fourth (by number, not as text); no heading: a title
    # is made from the name.
    (notebooks / "tutorials" / "10_more_things.py").write_text("import marimo\n")
    port = _port_in_range()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("stargazer")), "note", str(notebooks),
         "--mode", "run", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        token = process.stdout.readline().strip().rsplit("access_token=", 1)[1]
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/health", time.monotonic() + 60)[0] == 200
        status, page = _get(f"{base}/?access_token={token}", time.monotonic())
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200
    assert "<style>" in page
    names = re.findall(r'<a href="/apps/([^"]+)/\?show-code=true', page)
    tutorials = sorted(
        (n for n in names if n.startswith("tutorials/")), key=lambda n: int(n[10:].split("_")[0])
    )
    assert tutorials[:4] == [
        "tutorials/1_assets", "tutorials/2_tasks", "tutorials/3_workflows", "tutorials/4_execution"
    ]  # fmt: skip
    workflows = [n for n in names if n.startswith("workflows/")]
    scratch = [n for n in names if n.startswith("scratch/")]
    assert names == ["welcome", *tutorials, *workflows, *scratch]
    assert workflows and scratch
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert headings == ["Start here", "Tutorials", "Workflows", "Scratch"]
    assert '<span class="title">Welcome to Stargazer</span>' in page
    assert '<span class="title">More things</span>' in page
    assert page.index("welcome.py") < page.index("tutorials/1_assets.py")


def test_single_notebook_run_mode_is_marimo_run_with_code():
    command = marimo_run_command(Path("x.py"), "127.0.0.1", 9, None)
    assert command[1:5] == ["-m", "marimo", "run", "x.py"]
    assert "--include-code" in command


def test_mode_must_be_edit_or_run():
    result = CliRunner().invoke(cli, ["note", "--mode", "view"])
    assert result.exit_code == 2
    assert "'view' is not one of 'edit', 'run'" in result.output


@pytest.mark.timeout(120)
def test_run_mode_serves_new_notebooks_without_restart_and_requires_the_token(tmp_path):
    shutil.copy(WELCOME, tmp_path / "first.py")
    port = free_port()
    stargazer = Path(sys.executable).with_name("stargazer")
    process = subprocess.Popen(
        [str(stargazer), "note", str(tmp_path), "--mode", "run", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        status, _ = _get(f"{base}/health", time.monotonic() + 60)
        assert status == 200
        token = process.stdout.readline().strip().rsplit("access_token=", 1)[1]
        assert _get(f"{base}/", time.monotonic())[0] == 401
        assert _get(f"{base}/apps/first/", time.monotonic())[0] == 401

        (tmp_path / "later").mkdir()
        shutil.copy(WELCOME, tmp_path / "later" / "second.py")
        status, index = _get(f"{base}/?access_token={token}", time.monotonic())
        assert status == 200
        assert "first" in index and "later/second" in index

        status, page = _get(f"{base}/apps/later/second/?access_token={token}", time.monotonic())
        assert status == 200
        assert '"mode": "read"' in page
        # the token was traded for a cookie: the address no longer needs it
        assert _get(f"{base}/apps/first/", time.monotonic())[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
