"""Assets a task creates record their parents, the tool and the tool version that ran."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
from dataclasses import dataclass

from stargazer.review.checks.context import Context, asset_names
from stargazer.review.findings import Comment, Fix
from stargazer.review.fixes import asset_calls, keyword_fix
from stargazer.review.source import FunctionNode, SourceFile, parameters

WHY = (
    "Every asset records what it was made from (`parents`), the tool and the version of it that "
    "actually ran (`tool_version=pysam.__version__`, not a literal that goes stale on an "
    "upgrade), so a result can be traced back and reproduced, and `assemble` can query it."
)


def _tool_name(source: SourceFile, call: ast.Call) -> str | None:
    keyword = next((k for k in call.keywords if k.arg == "tool"), None)
    if keyword is None:
        return None
    value = keyword.value
    if isinstance(value, ast.Name):
        value = source.top_level_assignments().get(value.id, value)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def _has_version(module: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), "__version__")
    except ImportError:
        return False


def version_expression(
    source: SourceFile, call: ast.Call
) -> tuple[str, tuple[str, str] | None] | None:
    """Code for the version of the call's tool that runs, and the import it needs."""
    tree = source.tree
    if tree is not None and any(
        isinstance(n, ast.FunctionDef) and n.name == "tool_version" for n in tree.body
    ):
        return "tool_version()", None
    tool = _tool_name(source, call)
    if not tool:
        return None
    imported = source.imported_names()
    if imported.get(tool) == tool and _has_version(tool):
        return f"{tool}.__version__", None
    try:
        importlib.metadata.version(tool)
    except importlib.metadata.PackageNotFoundError:
        return None
    return f'importlib.metadata.version("{tool}")', ("import importlib.metadata", "importlib")


def _asset_params(source: SourceFile, node: FunctionNode) -> list[str]:
    names = asset_names(source)
    found = []
    for arg in parameters(node):
        annotation = arg.annotation
        if isinstance(annotation, ast.Name) and annotation.id in names:
            found.append(arg.arg)
    return found


@dataclass
class _Create:
    """One `X.create(...)` call of a task, as the lineage checks see it."""

    source: SourceFile
    task: str
    index: int  # among the task's asset-creating calls
    call: ast.Call
    given: dict[str | None, ast.expr]  # keyword -> value
    names: set[str]  # names bound to asset types

    @property
    def kind(self) -> str:
        return f"`{ast.unparse(self.call.func)}`"

    def fix(self, keyword: str, expression: str, needs: tuple[str, str] | None = None) -> Fix:
        """Set `keyword=expression` on this call (adding the import `needs`)."""
        return Fix(
            self.source.path,
            keyword_fix(self.task, self.index, keyword, expression, self.names, needs),
        )

    def comment(self, line: int, message: str, fix: Fix | None) -> Comment:
        return Comment(self.source.path, line, "lineage", message, WHY, fix=fix)


def _parents_comment(create: _Create, inputs: list[str]) -> Comment | None:
    """No `parents`, or `parents=[]` in a task that reads assets."""
    parents = create.given.get("parents")
    fix = create.fix("parents", f"[{', '.join(inputs)}]")
    if parents is None:
        return create.comment(
            create.call.lineno, f"{create.kind} in `{create.task}` records no `parents`.", fix
        )
    if isinstance(parents, ast.List) and not parents.elts and inputs:
        return create.comment(
            parents.lineno,
            f"{create.kind} in `{create.task}` records `parents=[]` but the task reads "
            f"{', '.join(f'`{i}`' for i in inputs)}.",
            fix,
        )
    return None


def _tool_comment(create: _Create) -> Comment | None:
    """No `tool` (fixed with the module's `TOOL` constant if it has one)."""
    if "tool" in create.given:
        return None
    constants = create.source.top_level_assignments()
    return create.comment(
        create.call.lineno,
        f"{create.kind} in `{create.task}` records no `tool`: pass the tool that made the "
        'file (`tool="pysam"`).',
        create.fix("tool", "TOOL") if "TOOL" in constants else None,
    )


def _version_comment(create: _Create) -> Comment | None:
    """No `tool_version`, or a literal one (fixed with the version that runs, if known)."""
    version = create.given.get("tool_version")
    if version is not None and not isinstance(version, ast.Constant):
        return None
    made = version_expression(create.source, create.call)
    fix = create.fix("tool_version", made[0], made[1]) if made is not None else None
    if version is None:
        what = f"{create.kind} in `{create.task}` records no `tool_version`"
        line = create.call.lineno
    else:
        what = (
            f"{create.kind} in `{create.task}` records `tool_version={ast.unparse(version)}`, "
            "a literal: a guess, not the version that ran"
        )
        line = version.lineno
    hint = f"pass `tool_version={made[0]}`" if made else "pass the version that ran"
    return create.comment(line, f"{what}; {hint}.", fix)


def _task_comments(source: SourceFile, node: FunctionNode) -> list[Comment]:
    comments = []
    names = asset_names(source)
    inputs = _asset_params(source, node)
    for index, call in enumerate(asset_calls(node, names)):
        given = {k.arg: k.value for k in call.keywords}
        if None in given:
            continue  # **kwargs: cannot tell what is passed
        create = _Create(source, node.name, index, call, given, names)
        found = (_parents_comment(create, inputs), _tool_comment(create), _version_comment(create))
        comments += [comment for comment in found if comment is not None]
    return comments


def check(context: Context) -> list[Comment]:
    """Comments on assets created without lineage or a real tool version."""
    return context.on_each_task(_task_comments)
