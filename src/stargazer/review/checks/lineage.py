"""Assets a task creates record their parents, the tool and the tool version that ran."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata

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


def _task_comments(source: SourceFile, node: FunctionNode) -> list[Comment]:
    comments = []
    names = asset_names(source)
    inputs = _asset_params(source, node)
    for index, call in enumerate(asset_calls(node, names)):
        kind = f"`{ast.unparse(call.func)}`"
        given = {k.arg: k.value for k in call.keywords}
        if None in given:
            continue  # **kwargs: cannot tell what is passed
        parents = given.get("parents")
        parents_fix = Fix(
            source.path, keyword_fix(node.name, index, "parents", f"[{', '.join(inputs)}]", names)
        )
        if parents is None:
            comments.append(
                Comment(
                    source.path,
                    call.lineno,
                    "lineage",
                    f"{kind} in `{node.name}` records no `parents`.",
                    WHY,
                    fix=parents_fix,
                )
            )
        elif isinstance(parents, ast.List) and not parents.elts and inputs:
            comments.append(
                Comment(
                    source.path,
                    parents.lineno,
                    "lineage",
                    f"{kind} in `{node.name}` records `parents=[]` but the task reads "
                    f"{', '.join(f'`{i}`' for i in inputs)}.",
                    WHY,
                    fix=parents_fix,
                )
            )
        if "tool" not in given:
            constants = source.top_level_assignments()
            fix = (
                Fix(source.path, keyword_fix(node.name, index, "tool", "TOOL", names))
                if "TOOL" in constants
                else None
            )
            comments.append(
                Comment(
                    source.path,
                    call.lineno,
                    "lineage",
                    f"{kind} in `{node.name}` records no `tool`: pass the tool that made the "
                    'file (`tool="pysam"`).',
                    WHY,
                    fix=fix,
                )
            )
        version = given.get("tool_version")
        literal = isinstance(version, ast.Constant)
        if version is not None and not literal:
            continue
        made = version_expression(source, call)
        fix = None
        if made is not None:
            expression, needs = made
            fix = Fix(
                source.path,
                keyword_fix(node.name, index, "tool_version", expression, names, needs),
            )
        if version is None:
            what = f"{kind} in `{node.name}` records no `tool_version`"
            line = call.lineno
        else:
            what = (
                f"{kind} in `{node.name}` records `tool_version={ast.unparse(version)}`, a "
                "literal: a guess, not the version that ran"
            )
            line = version.lineno
        hint = f"pass `tool_version={made[0]}`" if made else "pass the version that ran"
        comments.append(Comment(source.path, line, "lineage", f"{what}; {hint}.", WHY, fix=fix))
    return comments


def check(context: Context) -> list[Comment]:
    """Comments on assets created without lineage or a real tool version."""
    comments = []
    for source, node in context.changed_tasks():
        comments += _task_comments(source, node)
    return comments
