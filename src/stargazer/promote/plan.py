"""The request (`NOTEBOOK::NAME --to MODULE`) and the plan: every file's text before and after."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from stargazer.errors import PromotionError


@dataclass(frozen=True)
class PromoteRequest:
    """What `stargazer promote-task NOTEBOOK::NAME --to MODULE` asks for.

    Attributes:
        notebook: The marimo notebook file.
        name: The task: an `@app.function`, a named `@app.cell`, or a function in a cell.
        to: The target module, relative to `src/stargazer/` (`tasks/coverage.py`).
        helpers: Helper functions or classes from the notebook to bring along (`--with`).
        replace: Replace an existing definition of the same name in the target module.
        keep_notebook: Leave the notebook untouched.
    """

    notebook: Path
    name: str
    to: str
    helpers: tuple[str, ...] = ()
    replace: bool = False
    keep_notebook: bool = False

    @property
    def branch(self) -> str:
        """The git branch the promotion is committed on."""
        return f"promote/{self.name}"


def parse_spec(spec: str) -> tuple[Path, str]:
    """Split `NOTEBOOK::NAME`.

    Raises:
        PromotionError: The spec has no `::NAME` part.
    """
    notebook, sep, name = spec.rpartition("::")
    if not sep or not notebook or not name.isidentifier():
        raise PromotionError(
            f"{spec!r} is not NOTEBOOK::NAME; write e.g. notebooks/scratch/x.py::my_task"
        )
    return Path(notebook), name


@dataclass
class FileChange:
    """One file the promotion writes: its text before (None if new) and after."""

    path: Path
    old: str | None
    new: str
    what: str


@dataclass
class PromotionPlan:
    """Everything a promotion would write, computed without touching the disk.

    Attributes:
        request: The request this plan answers.
        root: The workspace root (the folder holding `src/stargazer`).
        module: The dotted name of the target module (`stargazer.tasks.coverage`).
        package: The package the task is exported from (`stargazer.tasks`).
        task: The promoted function's name (NAME may have named its cell).
        changes: The files to write, in the order they are reported.
        warnings: Things review should look at (ruff findings, xfail tests).
    """

    request: PromoteRequest
    root: Path
    module: str
    package: str
    task: str = ""
    changes: list[FileChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        """A path relative to the workspace root, for messages and diffs."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def diff(self) -> str:
        """The unified diff of every file the plan touches."""
        chunks: list[str] = []
        for change in self.changes:
            rel = self.relative(change.path)
            chunks += difflib.unified_diff(
                (change.old or "").splitlines(keepends=True),
                change.new.splitlines(keepends=True),
                fromfile="/dev/null" if change.old is None else f"a/{rel}",
                tofile=f"b/{rel}",
            )
        return "".join(chunks)
