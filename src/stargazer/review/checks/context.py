"""What every check reads: the change set, the changed Python files and the tasks they touch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stargazer.review.diff import ChangeSet
from stargazer.review.findings import Comment
from stargazer.review.source import FunctionNode, SourceFile, task_span

#: The asset types of `stargazer.types`.
ASSET_TYPES = ("Alignment", "AnnData", "Reads", "Reference", "Table", "Variants")


@dataclass
class Context:
    """The inputs of the checks.

    Attributes:
        changes: What the branch changed.
        sources: Changed Python files by path.
        run_tests: Run the tests of changed task modules (with coverage).
        notes: Check -> a one-line result for the summary, when a check has more to say
            than its comment count (coverage figures, tests run).
    """

    changes: ChangeSet
    sources: dict[str, SourceFile] = field(default_factory=dict)
    run_tests: bool = True
    notes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, changes: ChangeSet, run_tests: bool = True) -> Context:
        """Read every changed `.py` file."""
        sources = {p: SourceFile.read(changes.root, p) for p in changes.python_files()}
        return cls(changes, sources, run_tests)

    @property
    def root(self) -> Path:
        """The repository's top folder."""
        return self.changes.root

    def sdk_sources(self) -> list[SourceFile]:
        """Changed files under `src/stargazer/`."""
        return [s for p, s in sorted(self.sources.items()) if p.startswith("src/stargazer/")]

    def changed_tasks(self) -> list[tuple[SourceFile, FunctionNode]]:
        """Tasks in `src/stargazer/` whose definition the branch touched."""
        found = []
        for source in self.sdk_sources():
            for node in source.tasks():
                if self.changes.touched(source.path, *task_span(node)):
                    found.append((source, node))
        return found

    def on_each_task(
        self, comments_on: Callable[[SourceFile, FunctionNode], list[Comment]]
    ) -> list[Comment]:
        """The comments `comments_on` makes on each task the branch touched, in order."""
        return [c for source, node in self.changed_tasks() for c in comments_on(source, node)]

    def task_modules(self) -> list[SourceFile]:
        """Changed task modules (under tasks/ or workflows/) that define a changed task."""
        seen: dict[str, SourceFile] = {}
        for source, _ in self.changed_tasks():
            if source.package and not source.path.endswith("__init__.py"):
                seen[source.path] = source
        return list(seen.values())


def asset_names(source: SourceFile) -> set[str]:
    """Names in `source` bound to asset types (imported from `stargazer.types`)."""
    names = {
        bound
        for bound, origin in source.imported_names().items()
        if origin.startswith("stargazer.types.") and origin.rsplit(".", 1)[-1] in ASSET_TYPES
    }
    return names or set(ASSET_TYPES)
