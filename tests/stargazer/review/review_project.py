"""Scratch notebooks for the review tests: one task with planted convention gaps, one clean.

`GAPS` has a task with no docstring, a `str | Path` file path as a parameter, an asset created
without `tool_version`, and an input promote-task cannot build (so its generated test is left
xfail). `CLEAN` is the same computation written to the conventions.
"""

from __future__ import annotations

GAPS = """import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    import tempfile
    from pathlib import Path

    import pysam

    from stargazer.config import gatk_env
    from stargazer.types import Table


@app.cell
def _():
    @gatk_env.task
    async def gc_windows(fasta: str | Path, window: int = 20) -> Table:
        out = Path(tempfile.mkdtemp()) / "gc.tsv"
        rows = ["contig\\tstart\\tgc"]
        with pysam.FastaFile(str(fasta)) as handle:
            for contig in handle.references:
                seq = handle.fetch(contig).upper()
                for start in range(0, len(seq), window):
                    chunk = seq[start : start + window]
                    gc = (chunk.count("G") + chunk.count("C")) / len(chunk)
                    rows.append(f"{contig}\\t{start}\\t{gc:.3f}")
        out.write_text("\\n".join(rows) + "\\n")
        return await Table.create(
            str(out), name="gc_windows", format="tsv", parents=[], tool="pysam"
        )

    return (gc_windows,)


if __name__ == "__main__":
    app.run()
"""

CLEAN = '''import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    import tempfile
    from pathlib import Path

    import pysam

    from stargazer.config import gatk_env
    from stargazer.types import Reference, Table


@app.cell
def _():
    @gatk_env.task
    async def gc_windows(reference: Reference, window: int = 20) -> Table:
        """GC fraction of each window of each contig of a reference.

        Args:
            reference: The reference genome.
            window: Window size in bp.

        Returns:
            A TSV table: contig, window start and GC fraction.
        """
        fasta = await reference.fetch()
        out = Path(tempfile.mkdtemp()) / "gc.tsv"
        rows = ["contig\\tstart\\tgc"]
        with pysam.FastaFile(str(fasta)) as handle:
            for contig in handle.references:
                seq = handle.fetch(contig).upper()
                for start in range(0, len(seq), window):
                    chunk = seq[start : start + window]
                    gc = (chunk.count("G") + chunk.count("C")) / len(chunk)
                    rows.append(f"{contig}\\t{start}\\t{gc:.3f}")
        out.write_text("\\n".join(rows) + "\\n")
        return await Table.create(
            str(out),
            name="gc_windows",
            format="tsv",
            parents=[reference],
            tool="pysam",
            tool_version=pysam.__version__,
        )

    return (gc_windows,)


if __name__ == "__main__":
    app.run()
'''

#: The test a researcher writes for the clean task (and for the gaps task once patched).
GC_TEST = '''"""Tests for `stargazer.tasks.general.gc`."""

import asyncio

import flyte

from stargazer.tasks import gc_windows
from stargazer.types import Reference


def test_gc_windows_counts_gc_per_window(workspace):
    fasta = workspace / "ref.fa"
    fasta.write_text(">chr1\\n" + "GGCC" * 5 + "AATT" * 5 + "\\n")
    reference = asyncio.run(
        Reference.create(str(fasta), build="test", parents=[], tool="user", tool_version="")
    )
    flyte.init_from_config()
    table = flyte.run(gc_windows, reference=reference, window=20).outputs()[0]
    lines = table.path.read_text().splitlines()
    assert lines == ["contig\\tstart\\tgc", "chr1\\t0\\t1.000", "chr1\\t20\\t0.000"]
    assert table.parents == [reference.id]
    assert table.tool == "pysam" and table.tool_version
'''


def promoted(root, notebook: str, *, remote=None) -> None:
    """Make a project at `root` with `notebook` as notebooks/scratch/gc.py and promote its task.

    The promotion is committed on `promote/gc_windows` (pushed to `remote` when given).
    """
    import shutil

    from click.testing import CliRunner

    from stargazer.testing import checkout_root

    REPO_ROOT = checkout_root()
    from tests.stargazer.promote_project import git, make_project

    from stargazer.cli.main import cli

    make_project(root, {"scratch/gc.py": notebook})
    shutil.copy(REPO_ROOT / "marimo.toml", root / "marimo.toml")
    git(root, "add", "marimo.toml")
    git(root, "commit", "--quiet", "--message", "marimo.toml")
    if remote is not None:
        git(root, "remote", "add", "origin", str(remote))
    result = CliRunner().invoke(
        cli, ["promote-task", "notebooks/scratch/gc.py::gc_windows", "--to", "tasks/general/gc.py"]
    )
    assert result.exit_code == 0, result.output


def line_of(path, text: str) -> int:
    """The 1-based line of the first line of `path` containing `text`."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")
