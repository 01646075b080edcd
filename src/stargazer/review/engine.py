"""`review`: run every convention check on a branch's changes and put the review together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stargazer.review.ai import ai_review
from stargazer.review.checks import asset_io, docstrings, layout, lineage, lint, tests
from stargazer.review.checks.context import Context
from stargazer.review.diff import collect_changes
from stargazer.review.findings import AiOutcome, Comment, Review
from stargazer.review.patches import attach_patches

#: Check id -> what the summary table calls it. Comment `check`s map onto these rows.
CONVENTIONS = {
    "docstring": "Docstring with a one-line summary on every task",
    "asset-io": "Typed asset inputs and outputs, no file paths",
    "lineage": "Created assets record parents, tool, tool_version",
    "layout": "Module under tasks/<domain>/, one per tool, snake_case, exported",
    "tests": "A real test (no xfail/TODO) that passes",
    "coverage": "Line coverage of the module by its tests >= 80%",
    "ruff": "ruff check and ruff format",
    "boundary": "check-boundary",
}

CHECKS: tuple[Callable[[Context], list[Comment]], ...] = (
    docstrings.check,
    asset_io.check,
    lineage.check,
    layout.check,
    tests.check,
    lint.check,
)


def _dedupe(comments: list[Comment]) -> list[Comment]:
    """Drop ruff's missing-docstring findings where the docstring check already says so."""
    documented = {(c.path, c.line) for c in comments if c.check == "docstring"}
    return [
        c
        for c in comments
        if not (
            c.check == "ruff" and c.message.startswith("ruff D1") and (c.path, c.line) in documented
        )
    ]


def _summary(comments: list[Comment], context: Context) -> dict[str, str]:
    rows = {}
    for check, label in CONVENTIONS.items():
        mine = [c for c in comments if c.check == check]
        blocking = sum(c.blocking for c in mine)
        notes = len(mine) - blocking
        if blocking:
            result = f"fail ({blocking})"
        elif notes:
            result = f"pass, {notes} note(s)"
        else:
            result = "pass"
        extra = context.notes.get(check)
        if result == "pass" and extra and extra.startswith("not run"):
            result = "not checked"
        rows[label] = f"{result}; {extra}" if extra else result
    return rows


def review(start: Path, base: str = "main", run_tests: bool = True, ai: bool = True) -> Review:
    """Review the current branch of the repository around `start` against `base`.

    Args:
        start: A folder inside the repository (the cwd for the CLI).
        base: The branch the change merges into.
        run_tests: Run the changed task modules' tests under coverage.
        ai: Ask the AI reviewer when a key is configured.

    Returns:
        The review; `review.exit_code` is 1 when a blocking convention fails.

    Raises:
        ValueError: Not a git repository, or `base` is unknown.
    """
    changes = collect_changes(start, base)
    context = Context.build(changes, run_tests=run_tests)
    comments: list[Comment] = []
    for check in CHECKS:
        comments += check(context)
    comments = sorted(_dedupe(comments), key=lambda c: (c.path, c.line, c.check, c.message))
    result = Review(
        base=base,
        base_commit=changes.base_commit,
        head=changes.head,
        branch=changes.branch,
        files=changes.files,
        comments=comments,
        lines=changes.lines,
    )
    result.patches = attach_patches(comments, changes.root)
    result.checks = _summary(comments, context)
    if not changes.files:
        result.ai = AiOutcome("skipped", "nothing changed")
    elif ai:
        result.ai = ai_review(changes.root, changes.diff, comments, changes.files)
    else:
        result.ai = AiOutcome("skipped", "--no-ai")
    return result
