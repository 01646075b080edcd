"""Serving notebooks for the browser tests: `stargazer note` on a free loopback port.

Shared by every file in tests/e2e/ (the fixtures are in conftest.py). Debian's Chromium is
driven through Playwright's Python package; Playwright never downloads a browser here.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

from stargazer.testing import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Test artifacts, git-ignored.
SCREENSHOTS = Path(__file__).parent / "screenshots"


def serve(
    notebooks: Path, env: dict[str, str], *mode: str, log: IO[bytes] | None = None
) -> tuple[subprocess.Popen, str]:
    """Start `stargazer note` (no token) over `notebooks`; return the process and base URL."""
    port = free_port()
    stargazer = str(Path(sys.executable).with_name("stargazer"))
    process = subprocess.Popen(
        [stargazer, "note", str(notebooks), "--port", str(port), "--no-token", *mode],
        cwd=notebooks.parent,
        env=env,
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError("`stargazer note` did not answer on /health") from None
            time.sleep(0.25)


def stop(process: subprocess.Popen) -> None:
    """Stop a server started by `serve`."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
