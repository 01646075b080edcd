"""Each convention on a hand-written branch (no promote-task), reviewed with --no-tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.stargazer.promote_project import git, git_identity, make_project

from stargazer.cli.main import cli

# Directly in tasks/ (no domain folder), not exported, a camelCase parameter, a literal
# tool_version, an asset created without parents although the task reads an asset, a Path
# result, a multi-line summary, and an unused import ruff can remove.
MODULE = '''"""Depth per contig."""

import json
from pathlib import Path

import pysam

from stargazer.config import gatk_env
from stargazer.types import Alignment, Table

TOOL = "pysam"


@gatk_env.task
async def contig_depth(alignment: Alignment, minQuality: int = 0) -> Table:
    """Mean depth of each contig
    of an alignment.
    """
    bam = await alignment.fetch()
    out = bam.parent / "depth.tsv"
    out.write_text("contig\\tdepth\\n")
    return await Table.create(str(out), format="tsv", tool=TOOL, tool_version="0.22")


@gatk_env.task
async def depth_file(alignment: Alignment) -> Path:
    """Where the depth table is written."""
    return (await alignment.fetch()).parent / "depth.tsv"
'''

# SDK code that loads a notebook by name: the boundary rule.
SNEAKY = '''"""Loads a notebook."""

import importlib


def load() -> object:
    """Import a notebook module."""
    return importlib.import_module("notebooks.scratch.gc")
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_identity(monkeypatch)
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    root = make_project(tmp_path / "project")
    git(root, "switch", "--quiet", "-c", "depth")
    (root / "src/stargazer/tasks/depth.py").write_text(MODULE)
    (root / "src/stargazer/sneaky.py").write_text(SNEAKY)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "depth")
    monkeypatch.chdir(root)
    return root


def review() -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["review", "--no-tests", "--format", "json"])
    return result.exit_code, json.loads(result.output)


def lines(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_each_convention_is_named_at_its_line(project: Path):
    code, report = review()
    assert code == 1
    path = "src/stargazer/tasks/depth.py"
    by = {}
    for comment in report["comments"]:
        by.setdefault((comment["path"], comment["line"], comment["check"]), []).append(comment)
    create = lines(MODULE, "Table.create(")
    assert "directly in `tasks/`" in by[(path, 1, "layout")][0]["message"]
    assert (
        "git mv src/stargazer/tasks/depth.py src/stargazer/tasks/general/depth.py"
        in (by[(path, 1, "layout")][0]["message"])
    )
    param = by[(path, lines(MODULE, "async def contig_depth"), "layout")][0]
    assert param["message"] == "parameter `minQuality` of `contig_depth` is not snake_case."
    doc = by[(path, lines(MODULE, '"""Mean depth'), "docstring")][0]
    assert "summary longer than one line" in doc["message"]
    lineage = [c["message"] for c in by[(path, create, "lineage")]]
    assert any("records no `parents`" in m for m in lineage)
    assert any("`tool_version='0.22'`, a literal" in m for m in lineage)
    returns = by[(path, lines(MODULE, "async def depth_file"), "asset-io")][0]
    assert "returns a file path (`-> Path`)" in returns["message"]
    unused = by[(path, lines(MODULE, "import json"), "ruff")][0]
    assert unused["message"].startswith("ruff F401")
    export = [c for c in report["comments"] if c["path"] == "src/stargazer/tasks/__init__.py"]
    assert {c["message"].split("`")[1] for c in export} == {"contig_depth", "depth_file"}
    boundary = by[("src/stargazer/sneaky.py", lines(SNEAKY, "import_module"), "boundary")]
    assert boundary[0]["message"].startswith("SG")


def test_the_combined_patches_fix_what_is_mechanical(project: Path):
    _, report = review()
    patch = project / "review.patch"
    patch.write_text("".join(report["patches"].values()))
    subprocess.run(["git", "apply", str(patch)], cwd=project, check=True)
    patch.unlink()
    text = (project / "src/stargazer/tasks/depth.py").read_text()
    assert "parents=[alignment]" in text and "tool_version=pysam.__version__" in text
    assert "import json" not in text
    _, after = review()
    assert not any(c["check"] == "lineage" for c in after["comments"])
    assert not any(c["path"] == "src/stargazer/tasks/__init__.py" for c in after["comments"])
    ruff = {c["message"].split(":")[0] for c in after["comments"] if c["check"] == "ruff"}
    assert ruff == {"ruff D205"}  # the two-line summary is for a person to rewrite
    from stargazer.tasks import __all__ as before_all  # the real package is untouched

    assert "contig_depth" not in before_all
    init = (project / "src/stargazer/tasks/__init__.py").read_text()
    assert "from stargazer.tasks.depth import contig_depth, depth_file" in init


def test_unknown_base_and_not_a_repository(project: Path, tmp_path: Path, monkeypatch):
    result = CliRunner().invoke(cli, ["review", "--base", "nope"])
    assert result.exit_code == 1
    assert "--base nope: no such branch or commit" in result.output
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    result = CliRunner().invoke(cli, ["review"])
    assert result.exit_code == 1
    assert "is not inside a git repository" in result.output


def test_a_single_cell_task_among_the_general_tools(project: Path):
    module = project / "src/stargazer/tasks/general/cells.py"
    module.write_text(
        '"""Cell counts."""\n\nfrom stargazer.config import scrna_env\nfrom stargazer.types import '
        "AnnData\n\n\n@scrna_env.task\nasync def cell_count(data: AnnData) -> int:\n"
        '    """Number of cells in an AnnData."""\n    return data.n_obs\n'
    )
    _, report = review()
    [placed] = [c for c in report["comments"] if c["path"].endswith("general/cells.py")
                and c["check"] == "layout"]  # fmt: skip
    assert placed["blocking"] and placed["line"] == 1
    assert "holds `scrna_env` tasks, which belong under `tasks/scrna/`" in placed["message"]


# A task module that reaches up the layers: tasks sit below invoke.
UPWARD = '''"""Counts the tasks."""

from stargazer.config import gatk_env
from stargazer.invoke.discovery import all_tasks


@gatk_env.task
async def task_count() -> int:
    """How many tasks the SDK has."""
    return len(all_tasks())
'''


def test_a_task_importing_up_the_layers_is_a_boundary_finding(project: Path):
    (project / "src/stargazer/tasks/general/upward.py").write_text(UPWARD)
    _, report = review()
    [upward] = [c for c in report["comments"] if c["path"].endswith("general/upward.py")
                and c["check"] == "boundary"]  # fmt: skip
    assert upward["line"] == lines(UPWARD, "from stargazer.invoke")
    assert upward["message"].startswith(
        "SG020 `stargazer.tasks` imports `stargazer.invoke.discovery.all_tasks`, which is in "
        "a higher layer"
    )
