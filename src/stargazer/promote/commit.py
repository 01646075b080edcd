"""Stage 7, committing: a `promote/NAME` branch, a commit, and a pull request.

Where no pull request can be opened (no `gh`, no remote), the commands to open one are
printed instead.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.promote.apply import crash_point
from stargazer.promote.journal import Journal, begin, commit_subject, end, journal_for, rollback
from stargazer.promote.plan import PromotionPlan


@dataclass(frozen=True)
class GitOutcome:
    """What the git step did.

    Attributes:
        branch: The branch the promotion was committed on.
        commit: The commit id.
        pr_url: The pull request, when `gh` opened one.
        commands: The commands to push and open a PR, when they were not run.
        note: Why the PR was not opened automatically (or what failed).
    """

    branch: str
    commit: str
    pr_url: str | None = None
    commands: tuple[str, ...] = ()
    note: str = ""


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise PromotionError(
            f"git {args[0]} failed in {root}: {(result.stderr or result.stdout).strip()}"
        )
    return result


def check_git(plan: PromotionPlan) -> str:
    """Check that the promotion can be committed; return the branch to come back to.

    Raises:
        PromotionError: Not a git repository, no commit yet, or the branch exists.
    """
    if shutil.which("git") is None:
        raise PromotionError("git is not installed; install it or pass --no-git")
    if _git(plan.root, "rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise PromotionError(f"{plan.root} is not a git repository; pass --no-git")
    if _git(plan.root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0:
        raise PromotionError(
            f"{plan.root}: the repository has no commit yet; commit once or pass --no-git"
        )
    branch = plan.request.branch
    exists = _git(
        plan.root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False
    )
    if exists.returncode == 0:
        raise PromotionError(
            f"the branch {branch} already exists; delete it (git branch -D {branch}) or pass "
            "--no-git"
        )
    current = _git(plan.root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if current.returncode == 0:
        return current.stdout.strip()
    return _git(plan.root, "rev-parse", "HEAD").stdout.strip()


def pr_body(plan: PromotionPlan) -> str:
    """The pull request description: what was promoted and what review should check."""
    request = plan.request
    files = "\n".join(f"- `{plan.relative(c.path)}`: {c.what}" for c in plan.changes)
    test = next((c for c in plan.changes if c.path.name.startswith("test_")), None)
    test_rel = plan.relative(test.path) if test else "the generated test"
    return (
        f"Promotes `{plan.task}` from `{plan.relative(request.notebook.resolve())}` into "
        f"`{plan.module}` with `stargazer promote-task`.\n\n{files}\n\n"
        f"Review should check ([the review checklist](../blob/{request.branch}/docs/review.md); "
        "`stargazer review` checks it, and the promote-review workflow posts its review "
        "here):\n"
        f"- [ ] **Docstring**: `{plan.task}` says what it does, its inputs and its outputs "
        "(Google style; ruff D).\n"
        "- [ ] **Naming**: the task, its parameters and the module fit the SDK's conventions.\n"
        f"- [ ] **Test coverage**: `{test_rel}` checks values, not only types, and has no "
        "xfail marker left.\n"
        "- [ ] **Resources**: the task environment requests the CPU, memory and cache policy "
        "this task needs.\n"
    )


def commit_plan(plan: PromotionPlan, start: str, journal: Journal | None = None) -> GitOutcome:
    """Commit the plan's files on a new `promote/NAME` branch, then open a PR if possible.

    The files must already be written. If the branch or commit cannot be made, the files,
    the index and the branch are restored and the error is raised. A crash instead leaves
    the journal, and the next promote-task rolls back or finishes (`journal.recover`).

    Args:
        plan: The applied plan.
        start: The branch (or commit) to return to on failure, from `check_git`.
        journal: The promotion's journal, already begun; by default one is begun here.

    Raises:
        PromotionError: git failed; the working tree is as it was before the promotion.
    """
    root = plan.root
    branch = plan.request.branch
    if journal is None:
        journal = journal_for(plan, git=True, start=start)
        begin(root, journal)
    paths = [plan.relative(change.path) for change in plan.changes]
    try:
        _git(root, "switch", "--quiet", "-c", branch)
        crash_point("branched")
        _git(root, "add", "--", *paths)
        crash_point("staged")
        message = f"{commit_subject(plan)}\n\n{pr_body(plan)}"
        _git(root, "commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *paths)
        crash_point("committed")
    except BaseException as err:
        rollback(root, journal)
        if isinstance(err, PromotionError):
            raise PromotionError(
                f"{err}\nThe promotion was rolled back: nothing changed. Fix git (or pass "
                "--no-git) and promote again."
            ) from err
        raise
    end(root)
    commit = _git(root, "rev-parse", "--short", "HEAD").stdout.strip()
    return _open_pr(plan, start, commit)


def _open_pr(plan: PromotionPlan, base: str, commit: str) -> GitOutcome:
    root = plan.root
    branch = plan.request.branch
    remotes = _git(root, "remote", check=False).stdout.split()
    remote = "origin" if "origin" in remotes else (remotes[0] if remotes else "origin")
    title = commit_subject(plan)
    body = pr_body(plan)
    push = ["git", "push", "-u", remote, branch]
    create = ["gh", "pr", "create", "--base", base, "--head", branch, "--title", title]
    create += ["--body", body]
    commands: tuple[str, ...] = (shlex.join(push), shlex.join(create))
    gh = shutil.which("gh")
    if gh is None:
        note = "gh is not installed"
    elif not remotes:
        note = "the repository has no remote"
    elif subprocess.run(
        [gh, "auth", "status"], cwd=root, capture_output=True, check=False
    ).returncode:
        note = "gh is not authenticated (gh auth login)"
    else:
        pushed = subprocess.run(push, cwd=root, capture_output=True, text=True, check=False)
        if pushed.returncode != 0:
            note = f"git push failed: {pushed.stderr.strip()}"
        else:
            created = subprocess.run(
                [gh, *create[1:]], cwd=root, capture_output=True, text=True, check=False
            )
            if created.returncode == 0:
                url = created.stdout.strip().splitlines()[-1] if created.stdout.strip() else ""
                return GitOutcome(branch, commit, pr_url=url or "(opened)")
            note = f"gh pr create failed: {created.stderr.strip()}"
            commands = (shlex.join(create),)
    return GitOutcome(branch, commit, commands=commands, note=note)
