"""promote-task ends by pointing at the review step, and its PR body links the checklist."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.stargazer.promote_project import git, git_identity, make_project
from tests.stargazer.review.review_project import GAPS

from stargazer.cli.main import cli
from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

SPEC = "notebooks/scratch/gc.py::gc_windows"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_identity(monkeypatch)
    root = make_project(tmp_path / "project", {"scratch/gc.py": GAPS})
    monkeypatch.chdir(root)
    return root


def test_ends_with_the_review_step_and_links_the_checklist(project: Path):
    result = CliRunner().invoke(cli, ["promote-task", SPEC, "--to", "tasks/general/gc.py"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith("Next: `stargazer review` checks the change against the conventions")
    )
    message = git(project, "log", "-1", "--format=%B")
    assert "[the review checklist](../blob/promote/gc_windows/docs/review.md)" in message
    assert (REPO_ROOT / "docs" / "review.md").is_file()


def test_without_git_the_review_compares_with_head(project: Path):
    result = CliRunner().invoke(
        cli, ["promote-task", SPEC, "--to", "tasks/general/gc.py", "--no-git"]
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Next: `stargazer review --base HEAD` checks the change")
    # and that command does review the uncommitted promotion
    review = CliRunner().invoke(cli, ["review", "--base", "HEAD", "--no-tests", "--no-ai"])
    assert review.exit_code == 1
    assert "`gc_windows` has no docstring" in review.output
