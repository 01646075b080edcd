"""Crash safety for promote-task: a journal written before the first change.

Before a promotion touches anything, `.stargazer/promote-journal.json` records every file's
text before and after, the folders it will create, and (with git) the branch to come back to
and a copy of git's index. If the process dies midway (kill -9, a power cut of the terminal),
the next `promote-task` or `promote-task --abort` reads it and either

- finishes the promotion, when it had reached its end (the commit on `promote/NAME` exists,
  or with `--no-git` every file was written), or
- rolls it back: HEAD back on the branch it started from (without touching the working
  tree), git's index restored byte for byte, a stale `.git/index.lock` removed, the
  `promote/NAME` branch deleted, every file put back and every created folder removed.

`STARGAZER_PROMOTE_CRASH_AT=<step>` (`transaction.CRASH_ENV`) kills the process with SIGKILL
at that step, so tests can prove each of these states is recovered (see `STEPS`).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stargazer.errors import PromotionError
from stargazer.promote.apply import atomic_write, crash_point
from stargazer.promote.plan import PromotionPlan

#: The journal, relative to the workspace root (git-ignored with the rest of `.stargazer/`).
JOURNAL = Path(".stargazer") / "promote-journal.json"

#: The copy of git's index taken before the promotion, beside the journal.
INDEX_COPY = Path(".stargazer") / "promote-journal.index"

#: The steps a crash can be injected at, in order (`wrote-N` is after the N-th file).
STEPS = ("journaled", "wrote-N", "branched", "staged", "committed")


@dataclass
class Journal:
    """What an in-flight promotion may have changed, and how to undo it.

    Attributes:
        task: The promoted task.
        module: The target module (dotted).
        files: Each file as `{"path", "old", "new"}` (paths relative to the root; `old` None
            for a file the promotion creates).
        dirs: Folders the promotion creates, relative to the root, outermost first.
        git: Whether the promotion commits on a branch.
        branch: The `promote/NAME` branch.
        start: The branch (or commit) HEAD was on before.
        start_commit: The commit HEAD pointed at before.
        subject: The first line of the promotion's commit message.
        had_index: Whether git's index existed (and was copied to `INDEX_COPY`).
    """

    task: str
    module: str
    files: list[dict[str, Any]]
    dirs: list[str]
    git: bool = False
    branch: str = ""
    start: str = ""
    start_commit: str = ""
    subject: str = ""
    had_index: bool = False


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def git_index(root: Path) -> Path:
    """The path of git's index file for the repository at `root`."""
    index = Path(_git(root, "rev-parse", "--git-path", "index").stdout.strip())
    return index if index.is_absolute() else root / index


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def journal_for(plan: PromotionPlan, git: bool, start: str = "") -> Journal:
    """The journal of a plan about to be applied (and committed, with `git`)."""
    files = [{"path": plan.relative(c.path), "old": c.old, "new": c.new} for c in plan.changes]
    dirs: list[str] = []
    for change in plan.changes:
        missing: list[str] = []
        folder = change.path.parent
        while not folder.exists():
            missing.append(plan.relative(folder))
            folder = folder.parent
        dirs += [d for d in reversed(missing) if d not in dirs]
    journal = Journal(plan.task, plan.module, files, dirs, git=git)
    if git:
        journal.branch = plan.request.branch
        journal.start = start
        journal.start_commit = _git(plan.root, "rev-parse", "HEAD").stdout.strip()
        journal.subject = commit_subject(plan)
    return journal


def commit_subject(plan: PromotionPlan) -> str:
    """The first line of the promotion's commit message."""
    return f"Promote {plan.task} to {plan.module}"


def begin(root: Path, journal: Journal) -> None:
    """Write the journal (and the copy of git's index) before the first change."""
    if journal.git:
        index = git_index(root)
        journal.had_index = index.exists()
        if journal.had_index:
            _write_atomic(root / INDEX_COPY, index.read_bytes())
    _write_atomic(root / JOURNAL, json.dumps(asdict(journal)).encode())
    crash_point("journaled")


def end(root: Path) -> None:
    """Forget the journal: the promotion is complete, or fully rolled back."""
    (root / JOURNAL).unlink(missing_ok=True)
    (root / INDEX_COPY).unlink(missing_ok=True)


def read(root: Path) -> Journal | None:
    """The journal of an interrupted promotion, or None."""
    path = root / JOURNAL
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise PromotionError(
            f"{path}: the journal of an interrupted promotion cannot be read ({err}); check "
            "the files it lists by hand (git status), then delete it"
        ) from err
    return Journal(**data)


def _committed(root: Path, journal: Journal) -> bool:
    """Whether the promotion's commit exists: its branch, one commit on top of the start."""
    tip = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{journal.branch}")
    if tip.returncode != 0:
        return False
    parent = _git(root, "rev-parse", "--verify", "--quiet", f"{tip.stdout.strip()}^")
    subject = _git(root, "log", "-1", "--format=%s", tip.stdout.strip()).stdout.strip()
    return parent.stdout.strip() == journal.start_commit and subject == journal.subject


def _remove_stale_lock(root: Path) -> None:
    """Remove `.git/index.lock` left by a git killed with the promotion.

    Only a lock younger than the journal can be ours: one that was there before the promotion
    started belongs to someone else and is left alone.
    """
    lock = git_index(root).with_name("index.lock")
    try:
        if lock.stat().st_mtime >= (root / JOURNAL).stat().st_mtime:
            lock.unlink()
    except FileNotFoundError:
        pass


def rollback(root: Path, journal: Journal, *, after_crash: bool = False) -> None:
    """Undo whatever part of the promotion happened; the tree ends exactly as it was.

    Args:
        root: The workspace root.
        journal: The promotion's journal.
        after_crash: The process that ran the promotion died (so did any git it ran):
            remove the index lock such a git leaves behind.
    """
    if journal.git:
        if after_crash:
            _remove_stale_lock(root)
        _rollback_git(root, journal)
    for entry in reversed(journal.files):
        path = root / entry["path"]
        if entry["old"] is None:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                path.unlink()
        elif not path.exists() or path.read_text(encoding="utf-8") != entry["old"]:
            atomic_write(path, entry["old"])
    for folder in reversed(journal.dirs):
        path = root / folder
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    end(root)


def _rollback_git(root: Path, journal: Journal) -> None:
    """Back on the starting branch, git's index as it was, the `promote/NAME` branch gone."""
    head = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    if head == journal.branch:
        if journal.start == journal.start_commit:
            _git(root, "update-ref", "--no-deref", "HEAD", journal.start_commit)
        else:
            _git(root, "symbolic-ref", "HEAD", f"refs/heads/{journal.start}")
    index = git_index(root)
    if journal.had_index and (root / INDEX_COPY).exists():
        _write_atomic(index, (root / INDEX_COPY).read_bytes())
    elif not journal.had_index:
        index.unlink(missing_ok=True)
    tip = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{journal.branch}")
    if tip.returncode == 0 and (
        tip.stdout.strip() == journal.start_commit or _committed(root, journal)
    ):
        _git(root, "branch", "-D", journal.branch)


def recover(root: Path) -> str | None:
    """Finish or roll back an interrupted promotion; say which (None if there was none)."""
    journal = read(root)
    if journal is None:
        return None
    where = f"`{journal.task}` into {journal.module}"
    if journal.git and _committed(root, journal):
        _remove_stale_lock(root)
        end(root)
        return (
            f"an interrupted promotion of {where} had been committed on {journal.branch}; "
            "it is finished (push the branch and open a PR to go on)"
        )
    if not journal.git and all(
        (root / e["path"]).exists() and (root / e["path"]).read_text(encoding="utf-8") == e["new"]
        for e in journal.files
    ):
        end(root)
        return f"an interrupted promotion of {where} had written every file; it is finished"
    rollback(root, journal, after_crash=True)
    return f"an interrupted promotion of {where} was rolled back; the tree is as it was before it"
