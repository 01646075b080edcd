"""A marimo notebook read with `ast` (never run): its setup block, cells and functions.

`Notebook.find(NAME)` resolves what `promote-task NOTEBOOK::NAME` names: a top-level
`@app.function`, a named `@app.cell` (its one task), or a function defined inside a cell.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.import_bindings import ImportSpec, import_bindings
from stargazer.promote.syntax import DefNode, FunctionNode, bound_names, first_line


@dataclass(frozen=True)
class Binding:
    """A name the notebook defines (other than by import), and where."""

    name: str
    kind: str
    line: int
    cell: FunctionNode | None
    node: ast.AST | None = None


@dataclass(frozen=True)
class Candidate:
    """A function (or class) in the notebook that can be promoted or brought along."""

    node: DefNode
    cell: FunctionNode | None
    top_level: bool

    @property
    def name(self) -> str:
        """The function's name."""
        return self.node.name

    @property
    def is_task(self) -> bool:
        """Decorated with `@<env>.task` (or `@<env>.task(...)`)."""
        return any(_decorator_attr(dec) == "task" for dec in self.node.decorator_list)


def _decorator_attr(decorator: ast.expr) -> str | None:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else None


def is_app_attribute(node: ast.expr, app: str, *attrs: str) -> bool:
    """Whether `node` is `app.<attr>` or `app.<attr>(...)` for one of `attrs`.

    This is how marimo marks its parts: `@app.cell`, `@app.function`, `with app.setup:`.
    """
    target = node.func if isinstance(node, ast.Call) else node
    return (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == app
        and target.attr in attrs
    )


def find_setup(tree: ast.Module, app: str) -> ast.With | None:
    """The notebook's `with app.setup:` block, if it has one."""
    for node in tree.body:
        if isinstance(node, ast.With) and any(
            is_app_attribute(item.context_expr, app, "setup") for item in node.items
        ):
            return node
    return None


def cell_label(cell: FunctionNode | None) -> str:
    """How messages name a cell: `the cell `name``, `an unnamed cell`."""
    if cell is None:
        return "a cell"
    return "an unnamed cell" if cell.name == "_" else f"the cell `{cell.name}`"


def _imports_in(statements: list[ast.stmt]) -> Iterator[tuple[ImportSpec | None, ast.AST, str]]:
    """Imports in a block (not in nested functions): (spec or None if relative, node, name)."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, DefNode | ast.Lambda):
            continue
        for bound, spec in import_bindings(node):
            yield spec, node, bound
        stack.extend(ast.iter_child_nodes(node))


_ImportEntry = tuple[ImportSpec | None, ast.AST, FunctionNode | None]


class Notebook:
    """A marimo notebook read with `ast`: its setup block, cells, functions and imports."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        try:
            self.tree = ast.parse(source, filename=str(path))
        except SyntaxError as err:
            raise PromotionError(
                f"{path}:{err.lineno}: the notebook does not parse ({err.msg}); fix it in "
                "marimo first"
            ) from err
        self.app = self._find_app()
        self.setup: ast.With | None = None
        self.cells: list[FunctionNode] = []
        self.candidates: list[Candidate] = []
        #: bound name -> (import, its statement, the cell it is in or None for setup)
        self.imports: dict[str, list[_ImportEntry]] = {}
        self.bindings: dict[str, list[Binding]] = {}
        self._read()

    def _find_app(self) -> str:
        for node in self.tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "App"
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                return node.targets[0].id
        raise PromotionError(
            f"{self.path} is not a marimo notebook: it has no `app = marimo.App(...)`; "
            "promote-task reads notebooks made by marimo (`stargazer new`, `marimo edit`)"
        )

    def _bind(self, name: str, kind: str, node: ast.AST, cell: FunctionNode | None) -> None:
        line = getattr(node, "lineno", 1)
        self.bindings.setdefault(name, []).append(Binding(name, kind, line, cell, node))

    def _read_block(self, statements: list[ast.stmt], cell: FunctionNode | None) -> None:
        for spec, node, bound in _imports_in(statements):
            self.imports.setdefault(bound, []).append((spec, node, cell))
        where = "the setup block" if cell is None else "a cell"
        for name, node in bound_names(statements):
            if isinstance(node, DefNode):
                continue
            self._bind(name, f"variable defined in {where}", node, cell)

    def _read(self) -> None:
        for node in self.tree.body:
            if isinstance(node, ast.With) and any(
                is_app_attribute(item.context_expr, self.app, "setup") for item in node.items
            ):
                self.setup = node
                self._read_block(node.body, None)
            elif isinstance(node, FunctionNode) and any(
                is_app_attribute(dec, self.app, "cell") for dec in node.decorator_list
            ):
                cell = node
                self.cells.append(cell)
                self._read_block(node.body, cell)
                for statement in node.body:
                    if isinstance(statement, DefNode):
                        self.candidates.append(Candidate(statement, cell, top_level=False))
                        self._bind(statement.name, "defined in a cell", statement, cell)
            elif isinstance(node, DefNode) and any(
                is_app_attribute(dec, self.app, "function", "class_definition")
                for dec in node.decorator_list
            ):
                self.candidates.append(Candidate(node, None, top_level=True))
                self._bind(node.name, "top-level @app.function", node, None)
            else:
                for name, bound in bound_names([node]):
                    self._bind(name, "module-level name", bound, None)

    def where(self, line: int) -> str:
        """`notebook:line`, for messages."""
        return f"{self.path}:{line}"

    def describe(self, candidate: Candidate) -> str:
        """One line naming a candidate function, its decorators and where it is."""
        decorators = [
            f"@{ast.unparse(dec)}"
            for dec in candidate.node.decorator_list
            if not is_app_attribute(dec, self.app, "function", "class_definition")
        ]
        place = "top-level @app.function" if candidate.top_level else cell_label(candidate.cell)
        shown = " ".join(decorators) + " " if decorators else ""
        return f"{candidate.name} ({shown}{place}, {self.where(candidate.node.lineno)})"

    def task_listing(self) -> str:
        """The task-like functions the notebook has, one per line (all functions if none)."""
        tasks = [c for c in self.candidates if c.is_task]
        if tasks:
            lines = [f"  - {self.describe(c)}" for c in tasks]
            return "the task-like functions in this notebook are:\n" + "\n".join(lines)
        others = [f"  - {self.describe(c)}" for c in self.candidates]
        if not others:
            return "the notebook defines no functions."
        return (
            "the notebook has no task-like functions (decorated with `@<env>.task`); "
            "its functions are:\n" + "\n".join(others)
        )

    def find(self, name: str) -> Candidate:
        """The function NAME refers to: `@app.function`, named cell, or function in a cell.

        Raises:
            PromotionError: NAME is missing or ambiguous; the message lists the tasks.
        """
        found: dict[int, Candidate] = {}
        for candidate in self.candidates:
            if candidate.name == name:
                found[id(candidate.node)] = candidate
        for cell in self.cells:
            if cell.name != name or cell.name == "_":
                continue
            inner = [c for c in self.candidates if c.cell is cell]
            tasks = [c for c in inner if c.is_task] or inner
            if len(tasks) == 1:
                found[id(tasks[0].node)] = tasks[0]
            elif not tasks:
                raise PromotionError(
                    f"{self.where(cell.lineno)}: the cell `{name}` defines no function to "
                    f"promote; {self.task_listing()}"
                )
            else:
                names = ", ".join(c.name for c in tasks)
                raise PromotionError(
                    f"{self.where(cell.lineno)}: the cell `{name}` defines several tasks "
                    f"({names}); name one of them: {self.path}::{tasks[0].name}"
                )
        if not found:
            raise PromotionError(f"{self.path} has no task `{name}`; {self.task_listing()}")
        if len(found) > 1:
            places = "\n".join(f"  - {self.describe(c)}" for c in found.values())
            raise PromotionError(
                f"{self.path}: `{name}` is ambiguous, it is defined more than once:\n{places}\n"
                f"rename one of them in the notebook; {self.task_listing()}"
            )
        return next(iter(found.values()))

    def segment(self, node: DefNode, drop_app_decorators: bool = True) -> str:
        """The source of a definition with its decorators, dedented to column 0."""
        lines = self.source.splitlines(keepends=True)
        dropped: set[int] = set()
        if drop_app_decorators:
            for dec in node.decorator_list:
                if is_app_attribute(dec, self.app, "function", "class_definition"):
                    dropped.update(range(dec.lineno, (dec.end_lineno or dec.lineno) + 1))
        indent = node.col_offset
        out: list[str] = []
        for number in range(first_line(node), (node.end_lineno or node.lineno) + 1):
            if number in dropped:
                continue
            line = lines[number - 1]
            if line[:indent].strip() == "":
                line = line[indent:] if len(line) > indent else line.lstrip(" ")
            out.append(line if line.endswith("\n") else line + "\n")
        return "".join(out)
