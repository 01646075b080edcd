"""Fixtures for the browser tests: notebooks in a scratch workspace, and Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()


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
def checkout(notebooks: Path, workspace: Path) -> Path:
    """The notebooks plus the repository's pyproject.toml, as in a checkout.

    marimo reads its `[tool.marimo]` settings there (cells run on open).
    """
    shutil.copy(REPO_ROOT / "pyproject.toml", workspace / "pyproject.toml")
    return notebooks


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
