"""A throwaway Stargazer checkout with real marimo notebooks, for the promote-task tests.

`make_project` copies the package, test fixtures, Flyte config and ruff config into a fresh
git repository under tmp_path, so promotions, commits and branches never touch the real
checkout. Child processes that should import the copy get `project_env(root)`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

BIN = Path(sys.executable).parent

# Both task styles (a top-level @app.function task and tasks defined in cells), aliased and
# `from ... as` imports in the setup block and in a cell, a helper for --with, and a task
# that depends on a variable from another cell (notebook-only state).
EXPERIMENT = '''import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import math as m
    from collections import Counter as Tally

    import flyte
    import marimo as mo

    from stargazer.config import gatk_env


@app.function
@gatk_env.task
async def gc_percent(sequence: str, digits: int = 1) -> float:
    """Percent of G and C bases in a sequence."""
    counts = Tally(sequence.upper())
    return round(100 * (counts["G"] + counts["C"]) / max(len(sequence), 1), digits)


@app.function
def normalise(text: str) -> str:
    """Upper-case and strip a sequence."""
    return text.strip().upper()


@app.cell
def _():
    import statistics as stats

    return (stats,)


@app.cell
def kmer_task(stats):
    @gatk_env.task
    async def kmer_count(sequence: str, k: int) -> int:
        """Number of distinct k-mers in a sequence."""
        clean = normalise(sequence)
        kmers = {clean[i : i + k] for i in range(len(clean) - k + 1)}
        return m.floor(len(kmers) + stats.mean([0]))

    return (kmer_count,)


@app.cell
def _():
    window = 5
    return (window,)


@app.cell
def _(window):
    @gatk_env.task
    async def windowed(sequence: str) -> int:
        """Windows in a sequence."""
        return len(sequence) // window

    return (windowed,)


@app.cell
def _(kmer_count):
    flyte.init_from_config()
    kmers = flyte.run(kmer_count, sequence=" acgtacgt ", k=3).outputs()[0]
    mo.md(f"{kmers} distinct 3-mers")
    print(f"RESULT kmer_count={kmers}")
    return


if __name__ == "__main__":
    app.run()
'''

# A task on an asset type, and one whose input promote-task cannot build (a DataFrame).
ASSETS = '''import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    import pandas as pd

    from stargazer.config import gatk_env
    from stargazer.types import Reference


@app.cell
def _():
    @gatk_env.task
    async def reference_length(reference: Reference) -> int:
        """Total length of the reference's sequences."""
        import pysam

        path = await reference.fetch()
        with pysam.FastaFile(str(path)) as fasta:
            return sum(fasta.lengths)

    return (reference_length,)


@app.function
@gatk_env.task
async def frame_rows(frame: pd.DataFrame) -> int:
    """Rows in a table."""
    return len(frame)


if __name__ == "__main__":
    app.run()
'''


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout (raises on failure)."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def make_project(root: Path, notebooks: dict[str, str] | None = None) -> Path:
    """A committed git checkout at `root` with the package and the given notebooks."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(REPO_ROOT / "src" / "stargazer", root / "src" / "stargazer", ignore=ignore)
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "tests").mkdir()
    shutil.copy(REPO_ROOT / "tests" / "conftest.py", root / "tests" / "conftest.py")
    (root / ".flyte").mkdir()
    shutil.copy(REPO_ROOT / ".flyte" / "config.yaml", root / ".flyte" / "config.yaml")
    (root / ".gitignore").write_text(".flyte/local-cache/\n.stargazer/\n__pycache__/\n")
    for name, text in (notebooks or {"scratch/exp.py": EXPERIMENT}).items():
        path = root / "notebooks" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    identity = ["-c", "user.name=Stargazer Tests", "-c", "user.email=tests@stargazer.invalid"]
    git(root, *identity, "commit", "--quiet", "--message", "initial")
    return root


def git_identity(monkeypatch) -> None:
    """A git author for commits made in tests, whatever the machine's git config."""
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Stargazer Tests")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "tests@stargazer.invalid")


def project_env(root: Path) -> dict[str, str]:
    """Environment for a child process that imports the project's copy of the package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root / "src")
    env["STARGAZER_HOME"] = str(root / ".stargazer")
    env.pop("STARGAZER_STORE", None)
    return env


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` except git's own, by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
