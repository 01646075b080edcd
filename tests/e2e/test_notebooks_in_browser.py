"""The notebooks in a real browser: Debian's Chromium, driven by Playwright's Python package.

`.ci/run` installs `/usr/bin/chromium`; Playwright never downloads a browser here. Each test
starts `stargazer note` on a free port over a copy of `notebooks/` inside the scratch
workspace, so runs, cache and assets stay in `tmp_path`. Screenshots are kept in
`tests/e2e/screenshots/` (git-ignored) as test artifacts.
"""

from __future__ import annotations

import pytest
from tests.e2e.browser import SCREENSHOTS, serve, stop

pytestmark = pytest.mark.browser

NOTEBOOK = "workflows/variant_calling"


@pytest.mark.timeout(300)
def test_edit_mode_runs_variant_calling_and_shows_variants_and_coverage(
    notebooks, subprocess_env, browser
):
    server, base = serve(notebooks, subprocess_env)
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
        SCREENSHOTS.mkdir(exist_ok=True)
        page.get_by_role("tabpanel", name="Variants").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / "variant_calling_edit_variants.png")
        page.get_by_role("tab", name="Mapping & coverage").click()  # results are in tabs
        coverage = page.get_by_role("tabpanel", name="Mapping & coverage")
        coverage.locator("#coverage-plot canvas, #coverage-plot svg.marks").first.wait_for(
            timeout=60_000
        )

        coverage.scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / "variant_calling_edit_coverage.png")
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "variant_calling_edit.png")
        page.close()
        stop(server)


@pytest.mark.timeout(180)
def test_run_mode_shows_code_that_cannot_be_edited(notebooks, subprocess_env, browser):
    server, base = serve(notebooks, subprocess_env, "--mode", "run")
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
        stop(server)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mode", ["edit", "run"])
def test_notebook_defined_task_runs_in_edit_and_run_mode(notebooks, subprocess_env, browser, mode):
    # The scratch template defines `contig_lengths` in a cell and runs it on a reference asset.
    server, base = serve(notebooks, subprocess_env, "--mode", mode)
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
        stop(server)
