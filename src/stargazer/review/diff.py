"""The branch's changes against `--base`, read from git: files and the lines added to each."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

#: Untracked files larger than this are listed as changed but not read.
MAX_UNTRACKED = 1_000_000

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def git(root: Path, *args: str) -> str:
    """Run git in `root`; return stdout.

    Raises:
        ValueError: git failed (the message carries git's own).
    """
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise ValueError(f"git {' '.join(args[:2])} failed in {root}: {detail}")
    return result.stdout


@dataclass
class ChangeSet:
    """What the branch changed, relative to the merge base with `base`.

    Attributes:
        root: The repository's top folder.
        base: The base as given.
        base_commit: The merge base of `base` and HEAD.
        head: HEAD's commit id.
        branch: The current branch ("" when detached).
        lines: File -> the line numbers added or changed (new side); every line of a new file.
        diff: The unified diff (3 lines of context), for readers and the AI reviewer.
        untracked: New files not yet known to git (reviewed too).
    """

    root: Path
    base: str
    base_commit: str
    head: str
    branch: str
    lines: dict[str, set[int]] = field(default_factory=dict)
    diff: str = ""
    untracked: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """Changed files that exist now, sorted."""
        return sorted(self.lines)

    def python_files(self) -> list[str]:
        """Changed `.py` files."""
        return [f for f in self.files if f.endswith(".py")]

    def touched(self, path: str, start: int, end: int) -> bool:
        """Whether any line in `start..end` of `path` changed."""
        changed = self.lines.get(path, set())
        return any(start <= line <= end for line in changed)


def _resolve_base(root: Path, base: str) -> str:
    for candidate in (base, f"origin/{base}"):
        found = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode == 0:
            return found.stdout.strip()
    raise ValueError(
        f"--base {base}: no such branch or commit in {root} (nor origin/{base}); fetch it "
        f"(git fetch origin {base}) or pass the branch the change will merge into"
    )


def added_lines(diff: str) -> dict[str, set[int]]:
    """File -> added line numbers, from `git diff -U0` output."""
    lines: dict[str, set[int]] = {}
    current: str | None = None
    for text in diff.splitlines():
        if text.startswith("+++ "):
            target = text[4:]
            current = target[2:] if target.startswith("b/") else None
            if current is not None:
                lines.setdefault(current, set())
            continue
        match = _HUNK.match(text)
        if match and current is not None:
            start = int(match.group(1))
            count = int(match.group(2)) if match.group(2) is not None else 1
            lines[current].update(range(start, start + count))
    return lines


def collect_changes(start: Path, base: str) -> ChangeSet:
    """Read the changes of the current branch (commits and working tree) against `base`.

    Args:
        start: A folder inside the repository.
        base: The branch the change merges into (`main`); `origin/<base>` is tried too.

    Returns:
        The change set; uncommitted edits and untracked files count as changes.

    Raises:
        ValueError: Not a git repository, or `base` is unknown.
    """
    try:
        top = git(start, "rev-parse", "--show-toplevel").strip()
    except ValueError as err:
        raise ValueError(
            f"{start} is not inside a git repository: `stargazer review` reviews a branch"
        ) from err
    root = Path(top)
    base_commit = git(root, "merge-base", _resolve_base(root, base), "HEAD").strip()
    head = git(root, "rev-parse", "HEAD").strip()
    branch = subprocess.run(
        ["git", "symbolic-ref", "--quiet", "--short", "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    plain = ["--no-color", "--no-ext-diff", "--find-renames"]
    changes = ChangeSet(root, base, base_commit, head, branch)
    changes.lines = added_lines(git(root, "diff", *plain, "-U0", base_commit))
    changes.diff = git(root, "diff", *plain, base_commit)
    for name in git(root, "ls-files", "--others", "--exclude-standard").splitlines():
        path = root / name
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_UNTRACKED:
            changes.untracked.append(name)
            changes.lines[name] = set()  # listed, not read (a data file, most likely)
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        changes.untracked.append(name)
        changes.lines[name] = set(range(1, text.count("\n") + 2))
        body = "".join(f"+{line}\n" for line in text.splitlines())
        changes.diff += f"--- /dev/null\n+++ b/{name}\n{body}"
    changes.lines = {p: lines for p, lines in changes.lines.items() if (root / p).is_file()}
    return changes
