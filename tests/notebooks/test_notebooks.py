"""Every notebook under notebooks/ runs as a script and passes `marimo check`.

Notebooks are found by globbing, so a new notebook is tested without touching this file.
Tests execute notebooks; they never import them (the boundary rule).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

NOTEBOOKS = sorted(
    path
    for path in (REPO_ROOT / "notebooks").rglob("*.py")
    if "__marimo__" not in path.parts and "__pycache__" not in path.parts
)


def _id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT / "notebooks"))


def test_notebooks_are_found():
    assert any(path.name == "welcome.py" for path in NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_id)
def test_notebook_passes_marimo_check(notebook: Path):
    marimo = Path(sys.executable).with_name("marimo")
    result = subprocess.run(
        [str(marimo), "check", "--strict", str(notebook)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(900)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_id)
def test_notebook_runs_as_script(notebook: Path, workspace: Path, subprocess_env):
    scratch = workspace / "tmp"  # the notebook's temporary folders land here ...
    scratch.mkdir()
    result = subprocess.run(
        [sys.executable, str(notebook)],
        cwd=workspace,
        env=dict(subprocess_env, TMPDIR=str(scratch)),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    left = sorted(p.name for p in scratch.iterdir() if p.name.startswith("stargazer-"))
    assert left == [], f"{notebook.name} left its temporary folders behind: {left}"
