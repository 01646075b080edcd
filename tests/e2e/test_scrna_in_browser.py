"""The scRNA notebook in a real browser (Debian's Chromium through Playwright).

The notebook is served by `stargazer note` over a copy of `notebooks/` in a scratch workspace
(with the checkout's `pyproject.toml`, which holds the marimo settings a checkout runs with),
so its runs, Flyte task cache and assets stay in `tmp_path`. The demo data is shrunk to 400
cells x 300 genes with the keyboard before anything runs, to keep the test short.
Screenshots go to `tests/e2e/screenshots/` (git-ignored).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.browser import SCREENSHOTS, serve, stop

pytestmark = pytest.mark.browser

NOTEBOOK = "workflows/scrna_pipeline.py"


@pytest.fixture
def page(checkout: Path, workspace: Path, subprocess_env: dict[str, str], browser) -> Iterator:
    """A Chromium page on the scRNA notebook (nothing clicked yet), served from a checkout."""
    with open(workspace / "note.log", "wb") as log:  # the kernel's output, for failures
        process, base = serve(checkout, subprocess_env, log=log)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/?file={NOTEBOOK}")
        try:
            yield page
        finally:
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=SCREENSHOTS / "scrna_last.png")  # where a failure stopped
            stop(process)


def _shot(page, name: str, element=None) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    if element is not None:
        element.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / f"scrna_{name}.png")


def _out(page, text: str, exact: bool = False):
    """Cell outputs (not the code, which the editor shows too) holding `text`."""
    return page.locator(".output-area").get_by_text(text, exact=exact)


def _slider(page, label: str):
    """The slider thumb of the marimo slider labelled `label`."""
    return page.locator("marimo-slider", has_text=label).locator("[role=slider]").first


def _set(page, label: str, presses: list[str]) -> None:
    thumb = _slider(page, label)
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    for key in presses:
        thumb.press(key)


def _charts_drawn(page) -> None:
    """Wait until every chart output is drawn (none still fetching its data)."""
    deadline = time.monotonic() + 60
    while page.locator(".output-area").get_by_text("Failed to fetch").count() or not (
        page.locator(".output-area .vega-embed").count()
    ):
        assert time.monotonic() < deadline, "charts were not drawn"
        time.sleep(0.5)
    time.sleep(1)


def _new_runs(workspace: Path, after: int) -> list[tuple[str, int]]:
    """(task, cache hit) of each action Flyte ran below the workflow since rowid `after`."""
    with sqlite3.connect(workspace / ".flyte" / "local-cache" / "cache.db") as db:
        return db.execute(
            "SELECT short_name, cache_hit FROM runs WHERE rowid > ? AND action_name != 'a0' "
            "AND short_name != 'scrna_clustering' ORDER BY rowid",
            (after,),
        ).fetchall()


def _last_rowid(workspace: Path) -> int:
    with sqlite3.connect(workspace / ".flyte" / "local-cache" / "cache.db") as db:
        return db.execute("SELECT coalesce(max(rowid), 0) FROM runs").fetchone()[0]


@pytest.mark.timeout(300)
def test_scrna_notebook_shows_its_first_step_on_open(page):
    # No "run all" click: the cheap cells run on open, the pipeline waits for its button.
    _out(page, "1. Data").first.wait_for(timeout=90_000)
    _out(page, "2. Quality control").first.wait_for(timeout=90_000)
    page.get_by_role("button", name="Run the pipeline").wait_for(timeout=90_000)
    _out(page, "Press Run the pipeline to start").first.wait_for(timeout=90_000)
    assert _out(page, "pass these thresholds").count() > 0  # QC preview computed
    assert _out(page, "colour UMAP by").count() == 0, "the pipeline ran without its button"
    _shot(page, "open", _out(page, "1. Data").first)

    # thresholds that keep under 10% of the cells: a warning with thresholds from the data,
    # and a button that moves the sliders there
    _set(page, "min genes per cell", ["End"])
    strict = int(_slider(page, "min genes per cell").get_attribute("aria-valuenow"))
    warning = _out(page, "Few cells pass QC.")
    warning.first.wait_for(timeout=60_000)
    assert _out(page, "Thresholds from this data's own distribution").count() > 0
    _charts_drawn(page)
    _shot(page, "qc_warning", warning.first)
    page.get_by_role("button", name="Use the suggested thresholds").click()
    deadline = time.monotonic() + 60
    while _out(page, "Few cells pass QC.").count():
        assert time.monotonic() < deadline, "the suggested thresholds did not apply"
        time.sleep(0.5)
    assert int(_slider(page, "min genes per cell").get_attribute("aria-valuenow")) < strict


@pytest.mark.timeout(420)
def test_resolution_slider_reruns_only_clustering_and_markers(page, workspace):
    page.get_by_role("button", name="Run the pipeline").wait_for(timeout=90_000)
    _set(page, "cells", ["Home", "ArrowRight"])  # 400 cells
    _set(page, "genes", ["Home", "ArrowRight"])  # 300 genes
    _set(page, "cell types", ["Home", "ArrowRight"])  # 3 types
    _out(page, "of 400 cells").first.wait_for(timeout=60_000)
    _charts_drawn(page)
    _shot(page, "qc", _out(page, "pass these thresholds").first)

    page.get_by_role("button", name="Run the pipeline").click()
    done = _out(page, "Done in")
    done.first.wait_for(timeout=240_000)
    _out(page, "colour UMAP by").first.wait_for(timeout=60_000)
    first = _new_runs(workspace, 0)
    assert {name for name, hit in first if not hit} >= {"qc_filter", "cluster", "find_markers"}
    _shot(page, "umap", _out(page, "colour UMAP by").first)
    _shot(page, "markers", _out(page, "Marker genes", exact=True).first)

    # colour the UMAP by a gene: the choice must survive the re-run below
    colour = page.locator("marimo-dropdown", has_text="colour UMAP by").first
    shown = colour.locator("[data-testid=marimo-plugin-searchable-dropdown] button").first
    assert shown.inner_text().strip() == "cluster"
    shown.click()
    page.keyboard.type("MT-CO1")
    page.get_by_role("option", name="MT-CO1", exact=True).click()
    deadline = time.monotonic() + 30
    while shown.inner_text().strip() != "MT-CO1":
        assert time.monotonic() < deadline, "could not colour the UMAP by MT-CO1"
        time.sleep(0.3)

    before = _last_rowid(workspace)
    _set(page, "Leiden resolution", ["ArrowRight"])  # 1.0 -> 1.1 re-runs the workflow
    deadline = time.monotonic() + 180
    while {name for name, _ in _new_runs(workspace, before)} < {"cluster", "find_markers"}:
        assert time.monotonic() < deadline, _new_runs(workspace, before)
        time.sleep(0.5)
    _out(page, "cluster (ran)").first.wait_for(timeout=60_000)
    again = _new_runs(workspace, before)
    log = (workspace / "note.log").read_text(errors="replace")[-3000:]
    assert sorted(name for name, hit in again if not hit) == ["cluster", "find_markers"], (
        again,
        log,
    )
    assert {name for name, hit in again if hit} == {
        "qc_filter",
        "normalize",
        "select_features",
        "reduce_dimensions",
    }, again
    assert shown.inner_text().strip() == "MT-CO1", "the UMAP colouring was reset by the re-run"
    _charts_drawn(page)
    _shot(page, "recluster", _out(page, "Done in").first)
    _shot(page, "umap_gene", colour)


@pytest.mark.timeout(300)
def test_multi_genome_h5_upload_asks_for_the_genome_and_imports_it(page, workspace):
    import numpy as np

    from stargazer.testing.scrna import counts
    from stargazer.testing.tenx import write_h5_genomes

    human = counts(cells=60, genes=150, clusters=2, seed=1)
    mouse = counts(cells=60, genes=120, clusters=2, seed=2)
    barcodes = list(human.obs_names)
    h5 = write_h5_genomes(
        workspace / "barnyard.h5",
        {
            "GRCh38": (human.X.astype(np.int64), barcodes, list(human.var_names)),
            "mm10": (mouse.X.astype(np.int64), barcodes, [f"mm_{g}" for g in mouse.var_names]),
        },
        version=2,
    )
    _out(page, "my own files").first.wait_for(timeout=90_000)
    _out(page, "my own files").first.click()
    # nothing picked yet: one line says what to do, and no cell shows as stopped
    _out(page, "Register or pick at least one sample above").first.wait_for(timeout=60_000)
    assert page.get_by_text("ancestor was stopped").count() == 0
    page.locator("marimo-file input[type=file]").first.set_input_files(str(h5))
    _out(page, "hold several genomes").first.wait_for(timeout=60_000)
    genome = page.locator("marimo-dropdown", has_text="genome to import").first.locator("select")
    assert genome.locator("option").all_inner_texts()[-2:] == ["GRCh38", "mm10"]
    genome.select_option("mm10")
    page.get_by_role("button", name="Register files as assets").click()
    registered = _out(page, "Registered 1 sample(s): barnyard-mm10 (60 cells)")
    registered.first.wait_for(timeout=90_000)
    _shot(page, "own_genome", registered.first)
