"""Variant calling in a real browser: it opens ready, and only its Run button runs anything.

Served by `stargazer note` over a copy of `notebooks/` and the repository's `pyproject.toml`
(whose `[tool.marimo.runtime]` makes cells run on open, as in a checkout), in a scratch
workspace; Flyte's run history there (`.flyte/local-cache/cache.db`) says whether a run started.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from tests.e2e.browser import SCREENSHOTS, serve, stop

from stargazer.demo.germline import GermlineSpec, generate
from stargazer.types import Reads

pytestmark = pytest.mark.browser

URL = "{base}/?file=workflows/variant_calling.py"
#: "NA12878 · paired reads · 2026-11-29 23:52 · #1a2b3c4d"
LABEL = re.compile(r"NA12878 · paired reads · \d{4}-\d\d-\d\d \d\d:\d\d · #[0-9a-f]{8}")


def _runs(workspace: Path) -> int:
    database = workspace / ".flyte" / "local-cache" / "cache.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM runs").fetchone()[0]


def _open(browser, base: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(URL.format(base=base))
    # no click anywhere: the first step and the Run button are there on open
    page.get_by_role("button", name="Run variant calling").wait_for(timeout=120_000)
    return page


@pytest.mark.timeout(300)
def test_opens_ready_and_only_the_run_button_runs(checkout, workspace, subprocess_env, browser):
    server, base = serve(checkout, subprocess_env)
    page = _open(browser, base)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        assert page.locator("strong").filter(has_text="How to use it").is_visible()
        page.get_by_text("Results appear here after").wait_for(timeout=30_000)
        assert page.get_by_text("ancestor was stopped").count() == 0
        page.screenshot(path=SCREENSHOTS / "variant_calling_open.png")

        page.get_by_role("button", name="Run variant calling").click()
        page.get_by_text("Done in").wait_for(timeout=180_000)
        ran = _runs(workspace)
        assert ran > 0  # the button did start a run, recorded where we look

        threads = page.locator("marimo-slider").filter(has_text="threads per tool")
        threads.get_by_role("slider").focus()
        page.keyboard.press("ArrowRight")
        assert threads.get_by_role("slider").get_attribute("aria-valuenow") == "3"
        cohort = page.locator("input[placeholder='sample ids joined by _']")
        cohort.fill("trio")
        cohort.press("Enter")
        time.sleep(5)  # a reactive re-run would start at once and record rows within this
        assert _runs(workspace) == ran
        assert page.get_by_text("Running germline_variants").count() == 0
        assert page.get_by_text("Done in").count() == 1  # the results are still shown

        page.get_by_role("tab", name="Run history").click()
        history = page.get_by_role("tabpanel", name="Run history")
        summary = re.compile(r"\d+ task calls: \d+ ran, 0 came from the cache")
        history.get_by_text(summary).wait_for()
        assert history.get_by_text("germline_variants").count() == 1
        page.get_by_role("tab", name="Run history").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / "variant_calling_history.png")
    finally:
        page.screenshot(path=SCREENSHOTS / "variant_calling_controls.png")
        page.close()
        stop(server)


@pytest.mark.timeout(240)
def test_picker_labels_are_readable_newest_first_and_survive_registration(
    checkout,
    workspace,
    subprocess_env,
    browser,
):
    made = []
    for seed in (1, 2, 3):  # three registrations of one sample
        demo = generate(GermlineSpec(size=10_000, coverage=2, seed=seed), workspace / f"d{seed}")
        r1, r2 = demo.reads["sample1"]
        made.append(Reads.create_sync(r1, companions={"r2": r2}, sample_id="NA12878"))
    server, base = serve(checkout, subprocess_env)
    page = _open(browser, base)
    try:
        page.get_by_role("radio", name="my own files").click()
        picker = page.locator("marimo-multiselect").filter(has_text="samples (one or more)")
        picker.locator("button").click()
        options = page.get_by_role("option", name=re.compile("NA12878"))
        labels = options.all_inner_texts()
        assert len(labels) == 3 and len(set(labels)) == 3
        assert all(LABEL.fullmatch(label) for label in labels), labels
        newest_first = [asset.id.split("-")[1][:8] for asset in reversed(made)]
        assert [label.rpartition("#")[2] for label in labels] == newest_first

        options.nth(1).click()
        page.keyboard.press("Escape")
        chosen = picker.locator("button").inner_text()
        assert chosen == labels[1]
        # registering rebuilds the pickers; the selection stays
        page.get_by_role("button", name="Register files as assets").click()
        page.get_by_text("nothing selected yet").wait_for(timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('marimo-multiselect')"
            ".getAttribute('data-initial-value') !== '[]'",
            timeout=30_000,
        )
        assert picker.locator("button").inner_text() == chosen
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "variant_calling_pickers.png")
        page.close()
        stop(server)
