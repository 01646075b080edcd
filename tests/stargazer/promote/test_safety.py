"""promote-task is safe: it writes only inside the package, shadows nothing, and survives kill -9.

Every promotion here is a real `stargazer promote-task` process in a throwaway git checkout.
The kill is injected at a named step (`STARGAZER_PROMOTE_CRASH_AT`), or by a git hook that
kills git and promote-task together in the middle of `git commit`, never by timing.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from tests.stargazer.promote_project import (
    BIN,
    EXPERIMENT,
    git,
    git_identity,
    make_project,
    project_env,
    snapshot,
)

SPEC = "notebooks/scratch/exp.py::gc_percent"
FILES = {
    "src/stargazer/tasks/seq.py",
    "src/stargazer/tasks/__init__.py",
    "tests/stargazer/tasks/test_seq.py",
    "notebooks/scratch/exp.py",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_identity(monkeypatch)
    return make_project(tmp_path / "project")


def promote_task(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "stargazer"), "promote-task", *args],
        cwd=root,
        env={**project_env(root), **env},
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )


def _outside_is_empty(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.is_file() and p.name != "keep.py"]


def test_a_symlinked_target_is_refused(project: Path, tmp_path: Path):
    """Case 4: nothing is written through a symlink that leaves src/stargazer/tasks/."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.py").write_text("# not a promotion target\n")
    tasks = project / "src/stargazer/tasks"
    (tasks / "linked").symlink_to(outside, target_is_directory=True)
    (tasks / "seq.py").symlink_to(outside / "keep.py")
    before = snapshot(project)
    for to in ("tasks/linked/x.py", "tasks/seq.py"):
        result = promote_task(project, SPEC, "--to", to, "--no-git")
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"--to {to}:" in result.stderr and "outside" in result.stderr
        assert "a symlink on the way" in result.stderr
    assert (outside / "keep.py").read_text() == "# not a promotion target\n"
    assert _outside_is_empty(outside)
    assert snapshot(project) == before


def test_a_symlinked_test_folder_is_refused(project: Path, tmp_path: Path):
    outside = tmp_path / "outside-tests"
    outside.mkdir()
    (project / "tests/stargazer").mkdir(parents=True)
    (project / "tests/stargazer/tasks").symlink_to(outside, target_is_directory=True)
    before = snapshot(project)
    result = promote_task(project, SPEC, "--to", "tasks/seq.py", "--no-git")
    assert result.returncode == 1
    assert "outside the workspace" in result.stderr
    assert _outside_is_empty(outside)
    assert snapshot(project) == before


def test_a_name_that_shadows_a_subpackage_or_export_is_refused(project: Path):
    """Case 4: a task named `general` would hide stargazer.tasks.general."""
    notebook = project / "notebooks/scratch/exp.py"
    notebook.write_text(EXPERIMENT.replace("gc_percent", "general"))
    git(project, "commit", "--quiet", "-am", "a task named general")
    before = snapshot(project)
    refusals = [
        ("notebooks/scratch/exp.py::general", "tasks/extra.py", "hiding it"),
        (SPEC.replace("gc_percent", "general"), "tasks/general.py", "is a package"),
        ("notebooks/scratch/exp.py::kmer_task", "tasks/align.py", "already exports `align`"),
    ]
    for spec, to, message in refusals:
        result = promote_task(project, spec, "--to", to, "--with", "normalise", "--no-git")
        assert result.returncode == 1, (to, result.stdout + result.stderr)
        assert message in result.stderr, result.stderr
    assert snapshot(project) == before
    check = "import stargazer.tasks.general.bwa; from stargazer.tasks import align; print('ok')"
    imported = subprocess.run(
        [str(BIN / "python"), "-c", check], cwd=project, env=project_env(project),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert imported.stdout.strip() == "ok", imported.stderr[-2000:]


def _kill_inside_git_commit(root: Path) -> None:
    """A hook that kills git and promote-task (one process group) while git holds its lock."""
    hook = root / ".git/hooks/prepare-commit-msg"
    hook.write_text("#!/bin/sh\nkill -KILL 0\n")
    hook.chmod(0o755)


def _assert_as_before(root: Path, before: dict[str, bytes]) -> None:
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "branch", "--list").split() == ["*", "main"]
    assert not (root / ".git/index.lock").exists()
    assert not (root / ".stargazer/promote-journal.json").exists()


def _assert_promoted(root: Path) -> None:
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "branch", "--show-current").strip() == "promote/gc_percent"
    assert git(root, "log", "--format=%s", "main..HEAD").splitlines() == [
        "Promote gc_percent to stargazer.tasks.seq"
    ]
    assert set(git(root, "diff", "--name-only", "main", "HEAD").split()) == FILES
    assert (root / "src/stargazer/tasks/seq.py").read_text().count("async def gc_percent") == 1
    assert not (root / ".git/index.lock").exists()
    assert not (root / ".stargazer/promote-journal.json").exists()


STEPS = ["journaled", "wrote-1", "wrote-2", "wrote-3", "wrote-4", "branched", "staged",
         "inside-git-commit"]  # fmt: skip


@pytest.mark.parametrize("step", STEPS)
def test_kill_at_each_step_then_abort_restores_the_tree(project: Path, step: str):
    """Case 5: kill -9 at a step, then `promote-task --abort`: the tree is as it was."""
    before = snapshot(project)
    if step == "inside-git-commit":
        _kill_inside_git_commit(project)
        killed = promote_task(project, SPEC, "--to", "tasks/seq.py")
    else:
        killed = promote_task(project, SPEC, "--to", "tasks/seq.py",
                              STARGAZER_PROMOTE_CRASH_AT=step)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert (project / ".stargazer/promote-journal.json").exists()
    if step == "inside-git-commit":
        assert (project / ".git/index.lock").exists()  # what a killed git leaves behind
        (project / ".git/hooks/prepare-commit-msg").unlink()

    aborted = promote_task(project, "--abort")
    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    assert "was rolled back; the tree is as it was before it" in aborted.stdout
    _assert_as_before(project, before)
    again = promote_task(project, "--abort")
    assert "No interrupted promotion" in again.stdout


@pytest.mark.parametrize("step", ["wrote-2", "staged", "inside-git-commit"])
def test_the_next_run_after_a_kill_recovers_and_promotes(project: Path, step: str):
    """Case 5: re-running the same promote-task after a kill just works."""
    if step == "inside-git-commit":
        _kill_inside_git_commit(project)
        killed = promote_task(project, SPEC, "--to", "tasks/seq.py")
        (project / ".git/hooks/prepare-commit-msg").unlink()
    else:
        killed = promote_task(project, SPEC, "--to", "tasks/seq.py",
                              STARGAZER_PROMOTE_CRASH_AT=step)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    rerun = promote_task(project, SPEC, "--to", "tasks/seq.py")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "First: an interrupted promotion of `gc_percent`" in rerun.stderr
    assert "Committed" in rerun.stdout
    _assert_promoted(project)


def test_a_kill_after_the_commit_is_finished_not_undone(project: Path):
    killed = promote_task(project, SPEC, "--to", "tasks/seq.py",
                          STARGAZER_PROMOTE_CRASH_AT="committed")  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    finished = promote_task(project, "--abort")
    assert finished.returncode == 0, finished.stderr
    assert "had been committed on promote/gc_percent; it is finished" in finished.stdout
    _assert_promoted(project)


@pytest.mark.parametrize("step", ["wrote-1", "wrote-4"])
def test_no_git_kill_is_rolled_back_or_finished(project: Path, step: str):
    before = snapshot(project)
    args = (SPEC, "--to", "tasks/seq.py", "--no-git")
    killed = promote_task(project, *args, STARGAZER_PROMOTE_CRASH_AT=step)
    assert killed.returncode == -signal.SIGKILL
    dry = promote_task(project, *args, "--dry-run")
    assert dry.returncode == 1 and "promote-task --abort" in dry.stderr
    recovered = promote_task(project, "--abort")
    assert recovered.returncode == 0
    if step == "wrote-4":  # every file was written: the promotion is finished
        assert "had written every file; it is finished" in recovered.stdout
        assert set(snapshot(project)) - set(before) == {
            "src/stargazer/tasks/seq.py", "tests/stargazer/tasks/test_seq.py"
        }  # fmt: skip
    else:
        assert "was rolled back" in recovered.stdout
        assert snapshot(project) == before
    assert not (project / ".stargazer/promote-journal.json").exists()
