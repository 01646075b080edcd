"""`stargazer review --post`: a stand-in `gh` on PATH, the branch pushed to a bare remote."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.stargazer.promote_project import git, git_identity
from tests.stargazer.review.review_project import GAPS, line_of, promoted

from stargazer.cli.main import cli

MODULE = "src/stargazer/tasks/general/gc.py"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A promotion pushed to a bare remote, with a PR 'opened' by the stand-in gh."""
    git_identity(monkeypatch)
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    gh = bindir / "gh"
    gh.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" >> {tmp_path}/gh-calls.txt\n'
        'case "$1" in\n'
        '  pr) if [ "$2" = view ]; then echo 7; '
        "else echo https://github.example/stargazer/pull/7; fi ;;\n"
        "  api) while [ $# -gt 0 ]; do\n"
        f'      if [ "$1" = --input ]; then cp "$2" {tmp_path}/review.json; fi; shift\n'
        "    done\n"
        '    echo \'{"html_url": "https://github.example/stargazer/pull/7#review-1"}\' ;;\n'
        "esac\n"
    )
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    promoted(root, GAPS, remote=remote)
    assert "promote/gc_windows" in git(remote, "branch", "--list")
    return root


def test_posts_a_summary_and_inline_comments_for_the_pushed_commit(project: Path):
    result = CliRunner().invoke(cli, ["review", "--post", "--no-tests"])
    assert result.exit_code == 1, result.output  # posted, and still failing on blocking gaps
    assert "Posted the review: https://github.example/stargazer/pull/7#review-1" in result.output
    calls = (project.parent / "gh-calls.txt").read_text()
    assert "pr\nview\npromote/gc_windows\n--json\nnumber\n" in calls
    assert "api\n--method\nPOST\nrepos/{owner}/{repo}/pulls/7/reviews\n--input\n" in calls
    posted = json.loads((project.parent / "review.json").read_text())
    head = git(project, "rev-parse", "HEAD").strip()
    assert posted["commit_id"] == head
    assert posted["event"] == "COMMENT"
    assert posted["body"].startswith("## stargazer review: ")
    assert "AI reviewer: skipped" in posted["body"]
    inline = {(c["path"], c["line"]): c["body"] for c in posted["comments"]}
    task_line = line_of(project / MODULE, "async def gc_windows")
    assert "has no docstring" in inline[(MODULE, task_line)]
    assert all(c["side"] == "RIGHT" for c in posted["comments"])
    assert "Every suggested patch (git apply)" in posted["body"]


def test_refuses_to_post_a_commit_the_remote_does_not_have(project: Path):
    module = project / MODULE
    module.write_text(module.read_text() + "\n# more\n")
    result = CliRunner().invoke(cli, ["review", "--post", "--no-tests"])
    assert result.exit_code == 1
    assert "uncommitted changes" in result.output
    git(project, "commit", "--quiet", "--all", "--message", "not pushed")
    result = CliRunner().invoke(cli, ["review", "--post", "--no-tests"])
    assert result.exit_code == 1
    assert "is not pushed to origin; run `git push -u origin promote/gc_windows`" in result.output
    assert "api\n" not in (project.parent / "gh-calls.txt").read_text()
