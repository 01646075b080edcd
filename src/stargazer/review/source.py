"""Reading the changed Python files: their syntax trees and the Flyte tasks they define."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

#: Packages of src/stargazer whose modules hold tasks, and where they are exported from.
TASK_PACKAGES = ("tasks", "workflows")


def is_task_decorator(decorator: ast.expr) -> bool:
    """`@env.task` or `@env.task(...)`."""
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    return isinstance(decorator, ast.Attribute) and decorator.attr == "task"


def task_env(node: FunctionNode) -> str:
    """The task environment's name (`gatk_env`), or "" if it is not a plain name."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (
            is_task_decorator(decorator)
            and isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
        ):
            return target.value.id
    return ""


def find_function(tree: ast.Module, name: str) -> FunctionNode | None:
    """The top-level function called `name`."""
    for node in tree.body:
        if isinstance(node, FunctionNode) and node.name == name:
            return node
    return None


def parameters(node: FunctionNode) -> list[ast.arg]:
    """Every named parameter, in order (not *args/**kwargs)."""
    args = node.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


@dataclass
class SourceFile:
    """One changed Python file.

    Attributes:
        path: Relative to the root, posix.
        text: Its text now.
    """

    path: str
    text: str

    @classmethod
    def read(cls, root: Path, path: str) -> SourceFile:
        """Read `root/path`."""
        return cls(path, (root / path).read_text(encoding="utf-8", errors="replace"))

    @cached_property
    def tree(self) -> ast.Module | None:
        """The syntax tree, or None when the file does not parse (ruff reports that)."""
        try:
            return ast.parse(self.text, filename=self.path)
        except SyntaxError:
            return None

    @property
    def package(self) -> str:
        """`tasks` or `workflows` for an SDK task module, else ""."""
        parts = Path(self.path).parts
        if len(parts) >= 4 and parts[:2] == ("src", "stargazer") and parts[2] in TASK_PACKAGES:
            return parts[2]
        return ""

    @property
    def module(self) -> str:
        """The dotted module name for a file under src/ (`stargazer.tasks.general.gc`)."""
        parts = list(Path(self.path).with_suffix("").parts)
        if parts[:1] == ["src"]:
            parts = parts[1:]
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts)

    def tasks(self) -> list[FunctionNode]:
        """Top-level functions decorated with `@<env>.task`."""
        if self.tree is None:
            return []
        return [
            node
            for node in self.tree.body
            if isinstance(node, FunctionNode) and any(map(is_task_decorator, node.decorator_list))
        ]

    def imported_names(self) -> dict[str, str]:
        """Top-level bound name -> the module or `module.member` it was imported from."""
        names: dict[str, str] = {}
        if self.tree is None:
            return names
        for node in self.tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    names[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return names

    def top_level_assignments(self) -> dict[str, ast.expr]:
        """Module constants: `NAME = value` at the top level."""
        found: dict[str, ast.expr] = {}
        for node in self.tree.body if self.tree else []:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = node.value
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.value is not None
            ):
                found[node.target.id] = node.value
        return found


def task_span(node: FunctionNode) -> tuple[int, int]:
    """First line (its first decorator) and last line of a task."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, node.end_lineno or node.lineno
