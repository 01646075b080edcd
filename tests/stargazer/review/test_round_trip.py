"""The review step end to end: promote a task with planted gaps, review, patch, review again."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.stargazer.promote_project import git, git_identity
from tests.stargazer.review.review_project import CLEAN, GAPS, GC_TEST, line_of, promoted

from stargazer.cli.main import cli

MODULE = "src/stargazer/tasks/general/gc.py"
TEST = "tests/stargazer/tasks/general/test_gc.py"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_identity(monkeypatch)
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    root = tmp_path / "project"
    monkeypatch.chdir(tmp_path)
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def review(*args: str):
    return CliRunner().invoke(cli, ["review", *args])


@pytest.mark.slow
def test_planted_gaps_are_named_patched_and_then_pass(project: Path):
    promoted(project, GAPS)
    result = review("--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = {(c["path"], c["line"], c["check"]): c for c in report["comments"]}
    module, test = project / MODULE, project / TEST
    task_line = line_of(module, "async def gc_windows")
    # no docstring, at the task, with a skeleton to paste
    docstring = found[(MODULE, task_line, "docstring")]
    assert "`gc_windows` has no docstring" in docstring["message"]
    assert '+    """Compute gc windows from fasta and window.' in docstring["patch"]
    # a `str | Path` file path parameter, with the asset it should be
    path_param = found[(MODULE, task_line, "asset-io")]
    assert "`fasta: str | Path`" in path_param["message"]
    assert (
        "+async def gc_windows(fasta: Reference, window: int = 20) -> Table:"
        in (path_param["patch"])
    )
    # the asset created without tool_version, at the create call
    lineage = found[(MODULE, line_of(module, "Table.create("), "lineage")]
    assert "records no `tool_version`" in lineage["message"]
    assert "tool_version=pysam.__version__" in lineage["patch"]
    # the generated test left xfail, at its marker
    xfail = found[(TEST, line_of(test, "@pytest.mark.xfail"), "tests")]
    assert "is marked `pytest.mark.xfail`" in xfail["message"]
    assert "raises NotImplementedError" in xfail["message"]
    # ... so its module is not covered
    assert any(c["check"] == "coverage" and c["path"] == MODULE for c in report["comments"])
    assert report["blocking"] == len([c for c in report["comments"] if c["blocking"]]) >= 5
    assert report["ai"]["status"] == "skipped"
    todo = found[(MODULE, line_of(module, "TODO(review)"), "docstring")]
    assert not todo["blocking"] and "module docstring still holds a TODO" in todo["message"]

    # Apply every suggested patch as `git apply` would, and write the test.
    patch = project / "review.patch"
    patch.write_text("".join(report["patches"].values()))
    subprocess.run(["git", "apply", str(patch)], cwd=project, check=True)
    patch.unlink()
    test.write_text(GC_TEST.replace("reference=reference", "fasta=reference"))
    git(project, "commit", "--quiet", "--all", "--message", "review fixes")

    result = review()
    assert result.exit_code == 0, result.output
    assert "0 blocking, 1 note(s): conventions met" in result.output
    assert f"#### `{MODULE}:{line_of(module, 'TODO(review)')}` · docstring · note" in result.output
    assert "| Line coverage of the module by its tests >= 80% | pass; gc.py 100% |" in result.output
    assert "| A real test (no xfail/TODO) that passes | pass; 1 passed, 0 failed" in result.output
    assert "AI reviewer: skipped (no ANTHROPIC_API_KEY or OPENAI_API_KEY set" in result.output


@pytest.mark.slow
def test_a_clean_branch_passes_with_no_comments(project: Path):
    promoted(project, CLEAN)
    (project / TEST).write_text(GC_TEST)
    module = project / MODULE  # the author says what the module is for
    text = module.read_text()
    end = text.index('"""', 3) + 3
    module.write_text('"""GC content along a reference, window by window."""' + text[end:])
    git(project, "commit", "--quiet", "--all", "--message", "a real test")
    result = review("--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["comments"] == [] and report["patches"] == {}
    assert report["checks"]["Line coverage of the module by its tests >= 80%"] == "pass; gc.py 100%"
    assert report["files"] == sorted(
        ["notebooks/scratch/gc.py", "src/stargazer/tasks/__init__.py", MODULE, TEST]
    )
