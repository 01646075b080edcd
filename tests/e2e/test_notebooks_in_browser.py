"""The notebooks in a real browser: Debian's Chromium, driven by Playwright's Python package.

`.ci/run` installs `/usr/bin/chromium`; Playwright never downloads a browser here. Each test
starts `stargazer note` on a free port over a copy of `notebooks/` inside the scratch
workspace, so runs, cache and assets stay in `tmp_path`. Screenshots are kept in
`tests/e2e/screenshots/` (git-ignored) as test artifacts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import REPO_ROOT, free_port

pytestmark = pytest.mark.browser

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
SCREENSHOTS = Path(__file__).parent / "screenshots"
NOTEBOOK = "workflows/variant_calling"


@pytest.fixture
def notebooks(workspace: Path) -> Path:
    """A copy of the repository's notebooks inside the scratch workspace."""
    target = workspace / "notebooks"
    shutil.copytree(
        REPO_ROOT / "notebooks",
        target,
        ignore=shutil.ignore_patterns("__marimo__", "__pycache__"),
    )
    return target


@pytest.fixture
def browser() -> Iterator:
    """Debian's Chromium, headless, through Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _serve(notebooks: Path, subprocess_env: dict[str, str], *mode: str) -> tuple:
    port = free_port()
    stargazer = str(Path(sys.executable).with_name("stargazer"))
    process = subprocess.Popen(
        [stargazer, "note", str(notebooks), "--port", str(port), "--no-token", *mode],
        cwd=notebooks.parent,
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.timeout(300)
def test_edit_mode_runs_variant_calling_and_shows_variants_and_coverage(
    notebooks, subprocess_env, browser
):
    server, base = _serve(notebooks, subprocess_env)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/?file={NOTEBOOK}.py")
        page.get_by_text("Variant calling", exact=False).first.wait_for(timeout=60_000)
        # Run every cell (marimo's "run all stale cells" button), then the pipeline itself.
        controls = page.locator("[data-testid=chrome-controls-bottom-right]")
        controls.locator("[data-testid=run-button]").click()
        start = page.get_by_role("button", name="Run variant calling")
        start.wait_for(timeout=120_000)
        start.click()

        variants = page.locator("#variant-table")
        variants.get_by_text("genotype").first.wait_for(timeout=180_000)
        assert variants.get_by_text("SNV").count() > 0
        coverage = page.locator("#coverage-plot")
        coverage.locator("canvas, svg.marks").first.wait_for(timeout=60_000)

        SCREENSHOTS.mkdir(exist_ok=True)
        for name, element in [("coverage", coverage), ("variants", variants)]:
            element.scroll_into_view_if_needed()
            page.screenshot(path=SCREENSHOTS / f"variant_calling_edit_{name}.png")
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "variant_calling_edit.png")
        page.close()
        _stop(server)


@pytest.mark.timeout(180)
def test_run_mode_shows_code_that_cannot_be_edited(notebooks, subprocess_env, browser):
    server, base = _serve(notebooks, subprocess_env, "--mode", "run")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/")
        page.get_by_role("link", name=NOTEBOOK).click()
        code = page.locator(".cm-content")
        code.first.wait_for(timeout=60_000)
        assert "flyte.init_from_config()" in "\n".join(code.all_inner_texts())
        assert set(code.evaluate_all("els => els.map(e => e.contentEditable)")) == {"false"}
        assert page.locator("[data-testid=cell-editor]").count() == 0  # no editor chrome
        before = code.first.inner_text()
        code.first.click()
        page.keyboard.type("edited = True\n")
        assert code.first.inner_text() == before
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "variant_calling_run.png")
        page.close()
        _stop(server)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mode", ["edit", "run"])
def test_notebook_defined_task_runs_in_edit_and_run_mode(notebooks, subprocess_env, browser, mode):
    # The scratch template defines `contig_lengths` in a cell and runs it on a reference asset.
    server, base = _serve(notebooks, subprocess_env, "--mode", mode)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        if mode == "edit":
            page.goto(f"{base}/?file=scratch/template.py")
            page.get_by_text("Scratch notebook: template").first.wait_for(timeout=60_000)
            controls = page.locator("[data-testid=chrome-controls-bottom-right]")
            controls.locator("[data-testid=run-button]").click()
        else:
            page.goto(f"{base}/apps/scratch/template/")
        # the task's output table: demo contigs are chr1, chr2, ... (not in the code)
        page.get_by_text("chr1", exact=True).first.wait_for(timeout=120_000)
        assert page.get_by_text("chr2", exact=True).count() > 0
        page.get_by_text("chr1", exact=True).first.scroll_into_view_if_needed()
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"template_{mode}.png")
        page.close()
        _stop(server)
