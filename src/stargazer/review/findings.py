"""What a review says: comments at `file:line`, each with what, why and maybe a fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

#: A mechanical fix: the file's whole text in, the fixed text out (unchanged if it no longer
#: applies). Fixes find their target by name, not by line, so several fixes to one file compose.
FixFunction = Callable[[str], str]


@dataclass(frozen=True)
class Fix:
    """A mechanical fix to one file.

    Attributes:
        path: The file, relative to the workspace root.
        apply: Text in, fixed text out.
    """

    path: str
    apply: FixFunction


@dataclass
class Comment:
    """One review comment.

    Attributes:
        path: The file, relative to the workspace root (posix).
        line: The 1-based line the comment is about.
        check: The convention (`docstring`, `asset-io`, `lineage`, `layout`, `tests`,
            `coverage`, `ruff`, `boundary`, `ai`).
        message: What is wrong.
        why: Why the convention exists.
        blocking: Whether it fails the review (exit 1); notes do not.
        fix: The mechanical fix, when there is one.
        patch: The fix as a unified diff (filled in by `stargazer.review.patches`).
    """

    path: str
    line: int
    check: str
    message: str
    why: str = ""
    blocking: bool = True
    fix: Fix | None = None
    patch: str = ""

    @property
    def where(self) -> str:
        """`file:line`."""
        return f"{self.path}:{self.line}"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {
            "path": self.path,
            "line": self.line,
            "check": self.check,
            "blocking": self.blocking,
            "message": self.message,
            "why": self.why,
            "patch": self.patch or None,
        }


@dataclass
class AiOutcome:
    """What the optional AI reviewer did.

    Attributes:
        status: `skipped`, `done` or `failed`.
        note: Why it was skipped or how it failed; empty when done.
        provider: `anthropic` or `openai`, when one was configured.
        model: The model asked.
        comments: Its comments (never blocking).
    """

    status: str
    note: str = ""
    provider: str = ""
    model: str = ""
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Review:
    """A review of a branch's changes against the project's conventions.

    Attributes:
        base: The base the branch was compared with, as given (`main`).
        base_commit: The merge base.
        head: The reviewed commit.
        branch: The current branch name ("" when detached).
        files: The changed files, relative to the root.
        comments: The deterministic comments, sorted by file and line.
        checks: Convention -> a one-line result for the summary table.
        ai: The AI reviewer's outcome.
        patches: File -> one unified diff applying every mechanical fix to it.
        lines: File -> the lines the branch added (where inline PR comments can go).
    """

    base: str
    base_commit: str
    head: str
    branch: str
    files: list[str]
    comments: list[Comment] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)
    ai: AiOutcome = field(default_factory=lambda: AiOutcome("skipped"))
    patches: dict[str, str] = field(default_factory=dict)
    lines: dict[str, set[int]] = field(default_factory=dict)

    @property
    def blocking(self) -> list[Comment]:
        """The comments that fail the review."""
        return [c for c in self.comments if c.blocking]

    @property
    def all_comments(self) -> list[Comment]:
        """Deterministic comments, then the AI reviewer's."""
        return [*self.comments, *self.ai.comments]

    @property
    def combined_patch(self) -> str:
        """Every file's patch in one diff, files in name order ("" when there is none)."""
        return "".join(self.patches[path] for path in sorted(self.patches))

    @property
    def exit_code(self) -> int:
        """1 when a blocking convention fails, else 0."""
        return 1 if self.blocking else 0
