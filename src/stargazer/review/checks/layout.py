"""Where a task lives: under tasks/<domain>/, one module per tool, snake_case, exported."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from stargazer.review.checks.context import Context, asset_names
from stargazer.review.diff import git
from stargazer.review.findings import Comment, Fix
from stargazer.review.fixes import asset_calls, export_fix
from stargazer.review.source import FunctionNode, SourceFile, parameters, task_env

SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")

#: The task environment -> the `tasks/` folders its tasks may live in (the first by default).
FOLDERS_BY_ENV = {"gatk_env": ("general", "variants"), "scrna_env": ("scrna",)}

WHY_LAYOUT = (
    "Tasks live in one module per tool under `src/stargazer/tasks/<domain>/` (general, "
    "variants, scrna), so a reader finds a tool's wrapper, its version and its tests in one "
    "place, and `tests/` mirrors the same path."
)
WHY_NAMES = (
    "Modules, tasks and parameters are snake_case: task and parameter names are what "
    "`stargazer run`, the MCP server and notebooks type."
)
WHY_EXPORT = (
    "Notebooks, workflows and the MCP server import tasks from the package "
    "(`from stargazer.tasks import NAME`), never from private module paths."
)


def _domains(context: Context) -> set[str]:
    """The `tasks/` sub-packages the base already has."""
    listing = git(
        context.root, "ls-tree", "--name-only", context.changes.base_commit, "src/stargazer/tasks/"
    )
    return {Path(line).name for line in listing.splitlines() if "." not in Path(line).name}


def _placement(context: Context, source: SourceFile) -> list[Comment]:
    parts = Path(source.path).parts  # src, stargazer, tasks, ...
    if source.package != "tasks":
        return []
    envs = {FOLDERS_BY_ENV.get(task_env(node), ("general",))[0] for node in source.tasks()}
    folder = sorted(envs)[0] if envs else "general"
    where = f"src/stargazer/tasks/{folder}/{Path(source.path).name}"
    if len(parts) == 4:
        return [
            Comment(
                source.path,
                1,
                "layout",
                f"`{source.path}` sits directly in `tasks/`: move it into a domain folder, "
                f"e.g. `git mv {source.path} {where}` (and its test to match).",
                WHY_LAYOUT,
            )
        ]
    domain = parts[3]
    expected = {
        env: FOLDERS_BY_ENV[env]
        for node in source.tasks()
        if (env := task_env(node)) in FOLDERS_BY_ENV
    }
    for env, folders in sorted(expected.items()):
        if domain not in folders:
            right = folders[0]
            return [
                Comment(
                    source.path,
                    1,
                    "layout",
                    f"`{source.path}` holds `{env}` tasks, which belong under "
                    f"{' or '.join(f'`tasks/{f}/`' for f in folders)}: e.g. `git mv "
                    f"{source.path} src/stargazer/tasks/{right}/{Path(source.path).name}`.",
                    WHY_LAYOUT,
                )
            ]
    domains = _domains(context)
    if domains and domain not in domains:
        return [
            Comment(
                source.path,
                1,
                "layout",
                f"`tasks/{domain}/` is a new domain folder (the SDK has "
                f"{', '.join(sorted(domains))}); is it not one of those?",
                WHY_LAYOUT,
                blocking=False,
            )
        ]
    return []


def _tools(source: SourceFile) -> set[str]:
    tools: set[str] = set()
    names = asset_names(source)
    constants = source.top_level_assignments()
    for node in source.tasks():
        for call in asset_calls(node, names):
            for keyword in call.keywords:
                value = keyword.value
                if keyword.arg != "tool":
                    continue
                if isinstance(value, ast.Name):
                    value = constants.get(value.id, value)
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    tools.add(value.value)
    return tools


def _exports(root: Path, package: str) -> tuple[str, set[str]]:
    init = f"src/stargazer/{package}/__init__.py"
    path = root / init
    names: set[str] = set()
    if not path.exists():
        return init, names
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
    return init, names


def _module_comments(context: Context, source: SourceFile) -> list[Comment]:
    """Where a task module sits, its name, and how many tools it records."""
    comments = _placement(context, source)
    stem = Path(source.path).stem
    if not SNAKE.match(stem):
        comments.append(
            Comment(source.path, 1, "layout", f"module name `{stem}` is not snake_case.", WHY_NAMES)
        )
    tools = _tools(source)
    if len(tools) > 1:
        comments.append(
            Comment(
                source.path,
                1,
                "layout",
                f"`{source.path}` records {len(tools)} tools ({', '.join(sorted(tools))}): "
                "keep one module per tool.",
                WHY_LAYOUT,
                blocking=False,
            )
        )
    return comments


def _task_comments(context: Context, source: SourceFile, node: FunctionNode) -> list[Comment]:
    """A changed task's name, its parameters' names, and whether its package exports it."""
    comments = []
    if not SNAKE.match(node.name):
        comments.append(
            Comment(
                source.path,
                node.lineno,
                "layout",
                f"task `{node.name}` is not snake_case.",
                WHY_NAMES,
            )
        )
    comments += [
        Comment(
            source.path,
            arg.lineno,
            "layout",
            f"parameter `{arg.arg}` of `{node.name}` is not snake_case.",
            WHY_NAMES,
        )
        for arg in parameters(node)
        if not SNAKE.match(arg.arg)
    ]
    if not source.package or source.path.endswith("__init__.py"):
        return comments
    init, exported = _exports(context.root, source.package)
    if node.name not in exported:
        comments.append(
            Comment(
                init,
                1,
                "layout",
                f"`{node.name}` is not exported from `stargazer.{source.package}`: import it "
                f"there and list it in `__all__`.",
                WHY_EXPORT,
                fix=Fix(init, export_fix(node.name, source.module)),
            )
        )
    return comments


def check(context: Context) -> list[Comment]:
    """Comments on module placement, tools per module, names and exports."""
    comments: list[Comment] = []
    for source in context.task_modules():
        comments += _module_comments(context, source)
    for source, node in context.changed_tasks():
        comments += _task_comments(context, source, node)
    return comments
