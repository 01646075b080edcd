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
from tests.conftest import REPO_ROOT, free_port

from stargazer.cli.main import cli
from stargazer.cli.note import marimo_run_command
from stargazer.cli.note_run import index_page, list_notebooks

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
    assert '<a href="/apps/sub/b/?show-code=true&access_token=t">sub/b</a>' in page


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
