"""Stage 5, rewriting the notebook: the promoted definition becomes an import from the SDK.

The notebook keeps working: the task is imported from its new home, and setup imports that
nothing uses any more are dropped.
"""

from __future__ import annotations

import ast

from stargazer.promote.notebook import Candidate, Notebook, find_setup
from stargazer.promote.syntax import definition_span


def rewrite_notebook(
    notebook: Notebook,
    task: Candidate,
    package: str,
    module_rel: str,
    imported: frozenset[str] = frozenset(),
) -> str:
    """The notebook with the task's definition replaced by an import from the SDK.

    Setup-block imports of `imported` names that nothing in the notebook uses any more are
    removed, so the notebook stays lint-clean.
    """
    text = _replace_definition(notebook, task, package, module_rel)
    text = _drop_unused_setup_imports(text, notebook.app, imported)
    if task.top_level and task.name not in _loaded_names(ast.parse(text)):
        # Nothing uses it yet; the import stays so cells can, without tripping F401.
        statement = f"from {package} import {task.name}\n"
        text = text.replace(statement, statement[:-1] + "  # noqa: F401\n", 1)
    return text


def _loaded_names(tree: ast.AST) -> set[str]:
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def _drop_unused_setup_imports(text: str, app: str, names: frozenset[str]) -> str:
    tree = ast.parse(text)
    setup = find_setup(tree, app)
    if setup is None or not names:
        return text
    used = _loaded_names(tree)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    remaining = len(setup.body)
    for statement in setup.body:
        if not isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        keep = [
            alias
            for alias in statement.names
            if (alias.asname or alias.name.split(".")[0]) not in names
            or (alias.asname or alias.name.split(".")[0]) in used
        ]
        if len(keep) == len(statement.names):
            continue
        start, end = statement.lineno, statement.end_lineno or statement.lineno
        if keep:
            statement.names = keep
            edits.append((start, end, " " * statement.col_offset + ast.unparse(statement) + "\n"))
        elif remaining > 1:
            remaining -= 1
            before_blank = start >= 2 and not lines[start - 2].strip()
            after_blank = end < len(lines) and not lines[end].strip()
            edits.append((start, end + 1 if before_blank and after_blank else end, ""))
    for start, end, replacement in sorted(edits, reverse=True):
        lines[start - 1 : end] = [replacement] if replacement else []
    return _tidy_setup_blank_lines("".join(lines), app) if edits else "".join(lines)


def _tidy_setup_blank_lines(text: str, app: str) -> str:
    """No blank line right after `with app.setup:` and never two in a row inside it."""
    setup = find_setup(ast.parse(text), app)
    if setup is None:
        return text
    inside: set[int] = set()
    for statement in setup.body:
        inside.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    lines = text.splitlines(keepends=True)
    first_body = setup.body[0].lineno
    comments_from = first_body
    while comments_from - 1 > setup.lineno and lines[comments_from - 2].strip().startswith("#"):
        comments_from -= 1
    end = setup.end_lineno or setup.lineno
    keep: list[str] = []
    for number in range(1, len(lines) + 1):
        line = lines[number - 1]
        blank = not line.strip()
        if setup.lineno < number < comments_from and blank:
            continue
        if (
            blank
            and comments_from < number <= end
            and number not in inside
            and keep
            and not keep[-1].strip()
        ):
            continue
        keep.append(line)
    return "".join(keep)


def _replace_definition(notebook: Notebook, task: Candidate, package: str, module_rel: str) -> str:
    statement = f"from {package} import {task.name}"
    lines = notebook.source.splitlines(keepends=True)
    start, end = definition_span(task.node)
    indent = " " * (4 if task.top_level else task.node.col_offset)
    comment = f"{indent}# Promoted to {module_rel} (stargazer promote-task); edit it there.\n"
    if len(comment) > 100:
        comment = f"{indent}# Promoted to {module_rel}\n"
        comment += f"{indent}# (stargazer promote-task); edit it there.\n"
    addition = [comment, f"{indent}{statement}\n"]
    if not task.top_level:
        lines[start - 1 : end] = addition
        return "".join(lines)
    # A top-level @app.function: drop it (and the blank lines after it), import in setup.
    while end < len(lines) and not lines[end].strip():
        end += 1
    del lines[start - 1 : end]
    if notebook.setup is not None:
        setup_end = notebook.setup.end_lineno or notebook.setup.lineno
        if setup_end >= start:
            setup_end -= end - start + 1
        lines[setup_end:setup_end] = addition
    else:
        app_line = next(
            node.end_lineno or node.lineno
            for node in notebook.tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == notebook.app for t in node.targets)
        )
        lines[app_line:app_line] = ["\n", f"with {notebook.app}.setup:\n", *addition]
    return "".join(lines)
