"""Every task has a Google-style docstring whose first line says what it computes."""

from __future__ import annotations

import ast

from stargazer.review.checks.context import Context
from stargazer.review.findings import Comment, Fix
from stargazer.review.fixes import docstring_fix
from stargazer.review.source import SourceFile

WHY = (
    "Every task needs a Google-style docstring whose first line says what it computes: "
    "`stargazer run --help`, the MCP tool list and the notebook chat panel show that line, "
    "and the Args/Returns sections are the task's documentation (ruff D checks their form)."
)


def _module_todo(source: SourceFile) -> Comment | None:
    """A note on a module docstring that still holds a TODO (promote-task leaves one)."""
    tree = source.tree
    docstring = ast.get_docstring(tree) if tree is not None else None
    if tree is None or docstring is None or "TODO" not in docstring:
        return None
    node = tree.body[0]
    lines = source.text.splitlines()
    line = next(
        (
            n
            for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
            if "TODO" in lines[n - 1]
        ),
        node.lineno,
    )
    return Comment(
        source.path,
        line,
        "docstring",
        "the module docstring still holds a TODO: say what these tasks do and for whom.",
        "A module docstring is the short tutorial a reader meets first (`help(module)`).",
        blocking=False,
    )


def check(context: Context) -> list[Comment]:
    """Comments on changed tasks with a missing, multi-line or TODO summary."""
    comments = [note for s in context.task_modules() if (note := _module_todo(s)) is not None]
    for source, node in context.changed_tasks():
        doc = ast.get_docstring(node)
        if doc is None:
            comments.append(
                Comment(
                    source.path,
                    node.lineno,
                    "docstring",
                    f"`{node.name}` has no docstring. The suggested skeleton is built from "
                    "the names: make its first line say what the task computes.",
                    WHY,
                    fix=Fix(source.path, docstring_fix(node.name)),
                )
            )
            continue
        lines = doc.splitlines()
        where = node.body[0].lineno
        if not lines or not lines[0].strip():
            problem = "starts with an empty line; put the one-line summary first"
        elif len(lines) > 1 and lines[1].strip():
            problem = "has a summary longer than one line; keep it to one line, then a blank line"
        elif "TODO" in doc:
            problem = "still holds a TODO; say what the task computes"
        else:
            continue
        comments.append(
            Comment(source.path, where, "docstring", f"`{node.name}`'s docstring {problem}.", WHY)
        )
    return comments
