"""`stargazer promote-task` from the command line, in a throwaway git checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.stargazer.promote_project import git, git_identity, make_project, snapshot

from stargazer.cli.main import cli
from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

SPEC = "notebooks/scratch/exp.py::kmer_task"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_identity(monkeypatch)
    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    return root


def invoke(*args: str):
    return CliRunner().invoke(cli, ["promote-task", *args])


def test_dry_run_prints_the_diff_and_changes_nothing(project: Path):
    before = snapshot(project)
    result = invoke(SPEC, "--to", "tasks/kmers.py", "--with", "normalise", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+++ b/src/stargazer/tasks/kmers.py" in result.output
    assert "+from stargazer.tasks import kmer_count" in result.output
    assert "would commit them on the branch promote/kmer_task" in result.output
    assert snapshot(project) == before


def test_promotes_commits_and_prints_the_pr_commands(project: Path):
    result = invoke(SPEC, "--to", "tasks/kmers.py", "--with", "normalise")
    assert result.exit_code == 0, result.output
    assert "Promoted `kmer_task` into stargazer.tasks.kmers:" in result.output
    assert "  src/stargazer/tasks/kmers.py: created" in result.output
    assert "on the branch promote/kmer_task" in result.output
    assert "git push -u origin promote/kmer_task" in result.output
    assert "gh pr create --base main --head promote/kmer_task" in result.output
    assert "Test coverage" in result.output and "Resources" in result.output
    assert git(project, "status", "--porcelain") == ""
    assert "Promote kmer_count to stargazer.tasks.kmers" in git(project, "log", "-1")


def test_no_git_and_keep_notebook(project: Path):
    notebook = (project / "notebooks/scratch/exp.py").read_text()
    result = invoke(
        "notebooks/scratch/exp.py::gc_percent", "--to", "tasks/gc.py", "--no-git",
        "--keep-notebook",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Committed" not in result.output
    assert (project / "notebooks/scratch/exp.py").read_text() == notebook
    assert (project / "src/stargazer/tasks/gc.py").exists()
    assert git(project, "branch", "--show-current").strip() == "main"


def test_refusal_is_a_click_error_naming_the_problem(project: Path):
    before = snapshot(project)
    result = invoke(SPEC, "--to", "tasks/kmers.py")
    assert result.exit_code == 1
    assert "Error: cannot promote `kmer_count`" in result.output
    assert "--with normalise" in result.output
    assert snapshot(project) == before


def test_bad_spec_and_missing_notebook(project: Path):
    assert "is not NOTEBOOK::NAME" in invoke("exp.py", "--to", "tasks/x.py").output
    result = invoke("notebooks/nope.py::x", "--to", "tasks/x.py")
    assert result.exit_code == 1
    assert "no such notebook" in result.output


def test_scratch_template_promotes(project: Path):
    template = REPO_ROOT / "notebooks" / "scratch" / "template.py"
    notebook = project / "notebooks/scratch/template.py"
    notebook.write_text(template.read_text())
    git(project, "add", "notebooks/scratch/template.py")
    git(project, "commit", "--quiet", "--message", "add the template")
    result = invoke(
        "notebooks/scratch/template.py::contig_lengths", "--to", "tasks/general/contigs.py"
    )
    assert result.exit_code == 0, result.output
    assert "runs the task through flyte.run" in result.output
    test_file = project / "tests/stargazer/tasks/general/test_contigs.py"
    assert "reference_asset(workspace" in test_file.read_text()
    assert git(project, "status", "--porcelain") == ""


def test_opens_a_pr_when_gh_and_a_remote_are_there(project: Path, tmp_path: Path, monkeypatch):
    # gh cannot reach GitHub here, so a stand-in records the call; the push is real, to a
    # bare repository acting as the remote.
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "gh-calls.txt"
    gh = bindir / "gh"
    gh.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" >> {calls}\n'
        'if [ "$1" = "pr" ]; then echo https://github.example/stargazer/pull/7; fi\n'
    )
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    result = invoke(SPEC, "--to", "tasks/kmers.py", "--with", "normalise")
    assert result.exit_code == 0, result.output
    assert "Opened https://github.example/stargazer/pull/7" in result.output
    assert "promote/kmer_task" in git(remote, "branch", "--list")
    recorded = calls.read_text()
    assert "auth\nstatus\n" in recorded
    assert "pr\ncreate\n--base\nmain\n--head\npromote/kmer_task\n" in recorded
    for check in ("**Docstring**", "**Naming**", "**Test coverage**", "**Resources**"):
        assert check in recorded
