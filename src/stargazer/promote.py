"""Promote a task from a marimo notebook into the SDK: the engine of `stargazer promote-task`.

A marimo notebook is a Python file, so promotion reads it with `ast` and never runs it:

1. find the function: a top-level `@app.function`, a named `@app.cell` (its one task), or a
   function defined inside a cell;
2. copy it with its decorators, signature, type hints and docstring (`@app.function` is
   dropped), plus any helpers named with `--with`;
3. resolve every free name it uses to an import from the notebook's `with app.setup:` block
   or its cells, to a builtin, or to the target module; names that only exist in the
   notebook (a variable or helper from another cell) are refused, each with where it is;
4. write the SDK module (created with a docstring, or appended to), export the task from its
   package (`from stargazer.tasks import NAME`), generate a test that runs it through
   `flyte.run`, and replace the notebook's definition with an import from the SDK.

`plan_promotion` computes every file's new text in memory; `apply_plan` writes them all or
none; `commit_plan` puts them on a `promote/NAME` branch.

    >>> request = PromoteRequest(Path("notebooks/scratch/x.py"), "coverage", "tasks/coverage.py")
    >>> request.branch
    'promote/coverage'
"""

from __future__ import annotations

import ast
import builtins
import difflib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import symtable
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stargazer.errors import PromotionError

#: Packages under src/stargazer that tasks can be promoted into (`--to tasks/x.py`).
PACKAGES = ("tasks", "workflows")

#: The asset types a generated test knows how to build tiny inputs for.
ASSET_TYPES = ("Alignment", "AnnData", "Reads", "Reference", "Table", "Variants")

_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_DefNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_BUILTINS = frozenset(dir(builtins))


# --------------------------------------------------------------------------------------------
# The request and the plan


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


@dataclass(frozen=True)
class GitOutcome:
    """What the git step did.

    Attributes:
        branch: The branch the promotion was committed on.
        commit: The commit id.
        pr_url: The pull request, when `gh` opened one.
        commands: The commands to push and open a PR, when they were not run.
        note: Why the PR was not opened automatically (or what failed).
    """

    branch: str
    commit: str
    pr_url: str | None = None
    commands: tuple[str, ...] = ()
    note: str = ""


# --------------------------------------------------------------------------------------------
# Reading the notebook


@dataclass(frozen=True)
class ImportSpec:
    """An import that binds one name: `import a.b`, `import a as b`, `from a import b as c`."""

    module: str
    member: str | None = None
    asname: str | None = None

    @property
    def bound(self) -> str:
        """The local name the import binds."""
        if self.asname:
            return self.asname
        return self.member if self.member else self.module.split(".")[0]

    def render(self) -> str:
        """The import statement."""
        alias = f" as {self.asname}" if self.asname else ""
        if self.member is None:
            return f"import {self.module}{alias}"
        return f"from {self.module} import {self.member}{alias}"


@dataclass(frozen=True)
class Binding:
    """A name the notebook defines (other than by import), and where."""

    name: str
    kind: str
    line: int
    cell: _FunctionNode | None
    node: ast.AST | None = None


@dataclass(frozen=True)
class Candidate:
    """A function (or class) in the notebook that can be promoted or brought along."""

    node: _DefNode
    cell: _FunctionNode | None
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


def _is_app_decorator(decorator: ast.expr, app: str, attrs: tuple[str, ...]) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == app
        and target.attr in attrs
    )


def _first_line(node: _DefNode) -> int:
    return min([node.lineno, *(dec.lineno for dec in node.decorator_list)])


def _bound_names(statements: list[ast.stmt]) -> Iterator[tuple[str, ast.AST]]:
    """Names a block of statements binds in its own scope (not in nested functions)."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, _DefNode):
            yield node.name, node
            continue
        if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp):
            continue
        if isinstance(node, ast.GeneratorExp):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            yield node.id, node
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name, node
        stack.extend(ast.iter_child_nodes(node))


def _imports_in(statements: list[ast.stmt]) -> Iterator[tuple[ImportSpec | None, ast.AST, str]]:
    """Imports in a block (not in nested functions): (spec or None if relative, node, name)."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, _DefNode | ast.Lambda):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                spec = ImportSpec(alias.name, None, alias.asname)
                yield spec, node, spec.bound
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.level or not node.module:
                    yield None, node, bound
                else:
                    yield ImportSpec(node.module, alias.name, alias.asname), node, bound
        stack.extend(ast.iter_child_nodes(node))


_ImportEntry = tuple[ImportSpec | None, ast.AST, _FunctionNode | None]


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
        self.cells: list[_FunctionNode] = []
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

    def _bind(self, name: str, kind: str, node: ast.AST, cell: _FunctionNode | None) -> None:
        line = getattr(node, "lineno", 1)
        self.bindings.setdefault(name, []).append(Binding(name, kind, line, cell, node))

    def _read_block(self, statements: list[ast.stmt], cell: _FunctionNode | None) -> None:
        for spec, node, bound in _imports_in(statements):
            self.imports.setdefault(bound, []).append((spec, node, cell))
        where = "the setup block" if cell is None else "a cell"
        for name, node in _bound_names(statements):
            if isinstance(node, _DefNode):
                continue
            self._bind(name, f"variable defined in {where}", node, cell)

    def _read(self) -> None:
        for node in self.tree.body:
            if isinstance(node, ast.With) and any(
                _is_app_attribute(item.context_expr, self.app, "setup") for item in node.items
            ):
                self.setup = node
                self._read_block(node.body, None)
            elif isinstance(node, _DefNode) and any(
                _is_app_decorator(dec, self.app, ("cell",)) for dec in node.decorator_list
            ):
                cell = node
                self.cells.append(cell)
                self._read_block(node.body, cell)
                for statement in node.body:
                    if isinstance(statement, _DefNode):
                        self.candidates.append(Candidate(statement, cell, top_level=False))
                        self._bind(statement.name, "defined in a cell", statement, cell)
            elif isinstance(node, _DefNode) and any(
                _is_app_decorator(dec, self.app, ("function", "class_definition"))
                for dec in node.decorator_list
            ):
                self.candidates.append(Candidate(node, None, top_level=True))
                self._bind(node.name, "top-level @app.function", node, None)
            else:
                for name, bound in _bound_names([node]):
                    self._bind(name, "module-level name", bound, None)

    def where(self, line: int) -> str:
        """`notebook:line`, for messages."""
        return f"{self.path}:{line}"

    def describe(self, candidate: Candidate) -> str:
        """One line naming a candidate function, its decorators and where it is."""
        decorators = [
            f"@{ast.unparse(dec)}"
            for dec in candidate.node.decorator_list
            if not _is_app_decorator(dec, self.app, ("function", "class_definition"))
        ]
        place = "top-level @app.function" if candidate.top_level else _cell_label(candidate.cell)
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

    def segment(self, node: _DefNode, drop_app_decorators: bool = True) -> str:
        """The source of a definition with its decorators, dedented to column 0."""
        lines = self.source.splitlines(keepends=True)
        dropped: set[int] = set()
        if drop_app_decorators:
            for dec in node.decorator_list:
                if _is_app_decorator(dec, self.app, ("function", "class_definition")):
                    dropped.update(range(dec.lineno, (dec.end_lineno or dec.lineno) + 1))
        indent = node.col_offset
        out: list[str] = []
        for number in range(_first_line(node), (node.end_lineno or node.lineno) + 1):
            if number in dropped:
                continue
            line = lines[number - 1]
            if line[:indent].strip() == "":
                line = line[indent:] if len(line) > indent else line.lstrip(" ")
            out.append(line if line.endswith("\n") else line + "\n")
        return "".join(out)


def _is_app_attribute(node: ast.expr, app: str, attr: str) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == app
        and target.attr == attr
    )


def _cell_label(cell: _FunctionNode | None) -> str:
    if cell is None:
        return "a cell"
    return "an unnamed cell" if cell.name == "_" else f"the cell `{cell.name}`"


# --------------------------------------------------------------------------------------------
# Free names


def free_names(source: str) -> set[str]:
    r"""Names a definition's source uses that it does not bind itself (module-level lookups).

    Includes names in decorators, default values and annotations (string annotations too).

        >>> sorted(free_names("@env.task\ndef f(x: Ref = D) -> int:\n    return len(x) + y\n"))
        ['D', 'Ref', 'env', 'int', 'len', 'y']
    """
    tree = ast.parse(source)
    defined = {node.name for node in tree.body if isinstance(node, _DefNode)}
    names: set[str] = set()

    def visit(table: symtable.SymbolTable, top: bool) -> None:
        for symbol in table.get_symbols():
            if not symbol.is_referenced():
                continue
            module_level = not symbol.is_assigned() and not symbol.is_imported()
            if (top and module_level) or (not top and symbol.is_global()):
                names.add(symbol.get_name())
        for child in table.get_children():
            visit(child, False)

    visit(symtable.symtable(source, "<promoted>", "exec"), True)
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            names |= _annotation_names(annotation)
    return names - defined


def _annotation_names(annotation: ast.expr | None) -> set[str]:
    if annotation is None:
        return set()
    names: set[str] = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                names |= _annotation_names(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                continue
    return names


# --------------------------------------------------------------------------------------------
# Resolving names to imports


@dataclass
class Resolution:
    """How the names a promoted definition uses are satisfied."""

    imports: dict[str, ImportSpec] = field(default_factory=dict)
    notebook_only: dict[str, str] = field(default_factory=dict)


def _resolve(
    notebook: Notebook,
    candidate: Candidate,
    brought: set[str],
    target_names: set[str],
    resolution: Resolution,
) -> None:
    source = notebook.segment(candidate.node)
    for name in sorted(free_names(source)):
        if name in brought:
            continue
        spec = _import_for(notebook, name, candidate)
        if spec is not None:
            resolution.imports[name] = spec
            continue
        if name in target_names or name in _BUILTINS:
            continue
        resolution.notebook_only.setdefault(name, _notebook_only_reason(notebook, name))


def _import_for(notebook: Notebook, name: str, candidate: Candidate) -> ImportSpec | None:
    entries = notebook.imports.get(name, [])
    if name.startswith("_"):
        entries = [entry for entry in entries if entry[2] is candidate.cell]
    for spec, node, _cell in entries:
        line = getattr(node, "lineno", 1)
        if spec is None:
            raise PromotionError(
                f"{notebook.where(line)}: `{name}` comes from a relative import, which cannot "
                "move into the SDK; import it by its absolute module name in the notebook"
            )
        top = spec.module.split(".")[0]
        sibling = notebook.path.parent / top
        if top == "notebooks" or sibling.with_suffix(".py").exists() or sibling.is_dir():
            raise PromotionError(
                f"{notebook.where(line)}: `{name}` comes from the notebook module "
                f"`{spec.module}`; SDK code never imports notebooks (the boundary rule): "
                f"promote `{name}` first, or bring it along with --with {name}"
            )
        return spec
    return None


def _notebook_only_reason(notebook: Notebook, name: str) -> str:
    bindings = notebook.bindings.get(name, [])
    if not bindings:
        return "not defined in the notebook, its imports or the builtins"
    binding = bindings[0]
    if isinstance(binding.node, _DefNode):
        kind = "class" if isinstance(binding.node, ast.ClassDef) else "function"
        place = (
            "at the top level (@app.function)"
            if binding.cell is None
            else f"in {_cell_label(binding.cell)}"
        )
        return (
            f"{kind} defined {place} at {notebook.where(binding.line)}; "
            f"bring it along with --with {name}"
        )
    if binding.kind == "module-level name":
        return f"notebook module state at {notebook.where(binding.line)}"
    place = "the setup block" if binding.cell is None else _cell_label(binding.cell)
    return f"variable defined in {place} at {notebook.where(binding.line)}"


# --------------------------------------------------------------------------------------------
# Editing Python modules as text


def _top_level_bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    found: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, _DefNode):
            found.setdefault(node.name, node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or (
                    alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name
                )
                found.setdefault(bound, node)
        else:
            for name, _ in _bound_names([node]):
                found.setdefault(name, node)
    return found


def _existing_imports(tree: ast.Module) -> dict[str, ImportSpec]:
    specs: dict[str, ImportSpec] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                spec = ImportSpec(alias.name, None, alias.asname)
                specs[spec.bound] = spec
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                spec = ImportSpec(node.module, alias.name, alias.asname)
                specs[spec.bound] = spec
    return specs


def _header_end(tree: ast.Module) -> int:
    """The line after the module's leading docstring and import block (0 = file start)."""
    end = 0
    for index, node in enumerate(tree.body):
        is_docstring = (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        if is_docstring or isinstance(node, ast.Import | ast.ImportFrom):
            end = node.end_lineno or node.lineno
        else:
            break
    return end


def _insert_lines(text: str, after_line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[:after_line]) + new + "".join(lines[after_line:])


def add_imports(text: str, specs: list[ImportSpec], path: Path) -> str:
    """Add import statements to a module's header, skipping ones it already has.

    Raises:
        PromotionError: The module binds one of the names to something else.
    """
    tree = ast.parse(text)
    existing = _existing_imports(tree)
    bindings = _top_level_bindings(tree)
    new: list[ImportSpec] = []
    for spec in specs:
        have = existing.get(spec.bound)
        if have is not None:
            if (have.module, have.member) != (spec.module, spec.member):
                raise PromotionError(
                    f"{path}: `{spec.bound}` is already imported as `{have.render()}`, but the "
                    f"promoted code needs `{spec.render()}`; rename one of them"
                )
            continue
        if spec.bound in bindings:
            node = bindings[spec.bound]
            raise PromotionError(
                f"{path}:{node.lineno}: `{spec.bound}` is defined there, but the promoted code "
                f"imports it (`{spec.render()}`); rename one of them"
            )
        if spec not in new:
            new.append(spec)
    if not new:
        return text
    block = "".join(line + "\n" for line in render_imports(new))
    end = _header_end(tree)
    if end == 0:
        return block + "\n" + text
    return _insert_lines(text, end, ("\n" if not existing else "") + block)


def render_imports(specs: list[ImportSpec]) -> list[str]:
    """Import statements grouped stdlib / third-party / stargazer, sorted like isort."""

    def section(spec: ImportSpec) -> int:
        top = spec.module.split(".")[0]
        if top == "__future__":
            return 0
        if top in sys.stdlib_module_names:
            return 1
        return 3 if top in ("stargazer", "tests") else 2

    ordered = sorted(
        set(specs),
        key=lambda s: (section(s), s.member is not None, s.module.lower(), s.render().lower()),
    )
    lines: list[str] = []
    previous: int | None = None
    for spec in ordered:
        if previous is not None and section(spec) != previous:
            lines.append("")
        lines.append(spec.render())
        previous = section(spec)
    return lines


def _definition_span(node: _DefNode) -> tuple[int, int]:
    return _first_line(node), node.end_lineno or node.lineno


def place_definitions(
    text: str, blocks: list[tuple[str, str]], path: Path, replace: bool
) -> tuple[str, list[str]]:
    """Put definitions into a module: replace same-named ones (with `replace`) or append.

    Args:
        text: The module's current text.
        blocks: (name, source) of each definition, in order.
        path: The module's path, for messages.
        replace: Replace a same-named function or class instead of refusing.

    Returns:
        The new text and the names that were replaced.

    Raises:
        PromotionError: A name is already defined and `replace` is false, or it is bound by
            an import or assignment (which is never replaced automatically).
    """
    tree = ast.parse(text)
    bindings = _top_level_bindings(tree)
    replacements: list[tuple[int, int, str]] = []
    appended: list[str] = []
    replaced: list[str] = []
    for name, source in blocks:
        node = bindings.get(name)
        if node is None:
            appended.append(source)
            continue
        if not isinstance(node, _DefNode):
            raise PromotionError(
                f"{path}:{node.lineno}: `{name}` is already bound there by "
                f"`{ast.unparse(node).splitlines()[0]}`; remove or rename it by hand, then "
                "promote again"
            )
        if not replace:
            raise PromotionError(
                f"{path}:{node.lineno}: `{name}` is already defined there; pass --replace to "
                "replace it, or promote under another name (rename it in the notebook)"
            )
        start, end = _definition_span(node)
        replacements.append((start, end, source))
        replaced.append(name)
    lines = text.splitlines(keepends=True)
    for start, end, source in sorted(replacements, reverse=True):
        lines[start - 1 : end] = [source]
    body = "".join(lines).rstrip("\n")
    for source in appended:
        body += "\n\n\n" + source.rstrip("\n")
    return body.lstrip("\n") + "\n", replaced


def update_all(text: str, name: str, path: Path) -> str:
    """Add NAME to the module's `__all__` list (kept sorted), creating `__all__` if missing.

    Raises:
        PromotionError: `__all__` is not a literal list or tuple of strings.
    """
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        else:
            continue
        if not (isinstance(target, ast.Name) and target.id == "__all__"):
            continue
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else None
        names = [i.value for i in items or [] if isinstance(i, ast.Constant)]
        if value is None or items is None or not all(isinstance(n, str) for n in names):
            raise PromotionError(
                f"{path}:{node.lineno}: `__all__` is not a literal list of names; add "
                f'"{name}" to it by hand'
            )
        if len(names) != len(items):
            raise PromotionError(
                f"{path}:{node.lineno}: `__all__` is not a literal list of names; add "
                f'"{name}" to it by hand'
            )
        names = sorted(set(names) | {name})
        if value.lineno != value.end_lineno:  # keep the one-name-per-line layout
            rendered = "[\n" + "".join(f'    "{item}",\n' for item in names) + "]"
        else:
            rendered = "[" + ", ".join(f'"{item}"' for item in names) + "]"
        lines = text.splitlines(keepends=True)
        first, last = value.lineno - 1, (value.end_lineno or value.lineno) - 1
        head = lines[first][: value.col_offset]
        tail = lines[last][value.end_col_offset :]
        lines[first : last + 1] = [head + rendered + tail]
        return "".join(lines)
    return text.rstrip("\n") + f'\n\n__all__ = ["{name}"]\n'


# --------------------------------------------------------------------------------------------
# Sort imports and format what promotion writes (the project's own config applies)


def _ruff() -> list[str] | None:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    return [found] if found else None


def ruff_tidy(text: str, path: Path, root: Path, format_code: bool = True) -> str:
    """Sort imports (ruff's isort rules) and format the text as `path` under `root`'s config.

    Args:
        text: Python source.
        path: The file the text is for (selects the project's ruff settings).
        root: The workspace root ruff runs in.
        format_code: Also run `ruff format`; without it only the imports are sorted.

    Returns:
        The tidied text; without ruff installed, the text as it was.
    """
    ruff = _ruff()
    if ruff is None:
        return text
    steps = [
        [*ruff, "check", "--fix", "--select", "I", "--exit-zero", "--stdin-filename", str(path)]
    ]
    if format_code:
        steps.append([*ruff, "format", "--stdin-filename", str(path)])
    for command in steps:
        result = subprocess.run(
            [*command, "-"], input=text, capture_output=True, text=True, cwd=root, check=False
        )
        if result.returncode != 0:
            raise PromotionError(
                f"{path}: ruff could not process the promoted code:\n{result.stderr.strip()}"
            )
        text = result.stdout
    return text


def ruff_findings(text: str, path: Path, root: Path) -> list[str]:
    """What `ruff check` (with the project's config) still reports on the text."""
    ruff = _ruff()
    if ruff is None:
        return ["ruff is not installed: run `ruff check` on the promoted module"]
    result = subprocess.run(
        [*ruff, "check", "--output-format", "concise", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if re.match(r"^\S+:\d+:\d+: ", line)]


# --------------------------------------------------------------------------------------------
# The generated test


@dataclass(frozen=True)
class _Param:
    name: str
    annotation: ast.expr | None


def _required_params(node: _FunctionNode) -> list[_Param]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    with_default = len(args.defaults)
    required = positional[: len(positional) - with_default] if with_default else positional
    params = [_Param(arg.arg, arg.annotation) for arg in required]
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if default is None:
            params.append(_Param(arg.arg, arg.annotation))
    return params


def _strip_optional(annotation: ast.expr) -> ast.expr:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side, other in (
            (annotation.left, annotation.right),
            (annotation.right, annotation.left),
        ):
            if isinstance(other, ast.Constant) and other.value is None:
                return side
    if (
        isinstance(annotation, ast.Subscript)
        and isinstance(annotation.value, ast.Name)
        and annotation.value.id == "Optional"
    ):
        return annotation.slice
    return annotation


_SCALARS = {"int": "1", "float": "1.0", "bool": "True"}

# Code that writes a tiny valid file into the test's `workspace` and registers it as the
# asset; `PARAM` is replaced by the parameter's name. (builder, modules it imports)
_ASSET_BUILDERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Reference": (
        """
        PARAM_fasta = workspace / "PARAM.fa"
        PARAM_fasta.write_text(">chr1\\n" + "ACGT" * 20 + "\\n")
        PARAM = asyncio.run(
            Reference.create(
                str(PARAM_fasta), build="test", parents=[], tool="user", tool_version=""
            )
        )
        """,
        (),
    ),
    "Reads": (
        """
        PARAM_fastq = workspace / "PARAM_R1.fastq.gz"
        with gzip.open(PARAM_fastq, "wt") as handle:
            for number in range(4):
                handle.write(f"@r{number}\\nACGTACGTACGTACGT\\n+\\nIIIIIIIIIIIIIIII\\n")
        PARAM = asyncio.run(
            Reads.create(
                str(PARAM_fastq), sample_id="s1", paired=False, parents=[], tool="user",
                tool_version="",
            )
        )
        """,
        ("gzip",),
    ),
    "Alignment": (
        """
        PARAM_bam = workspace / "PARAM.bam"
        header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 80}]}
        with pysam.AlignmentFile(str(PARAM_bam), "wb", header=header) as out:
            for number in range(4):
                read = pysam.AlignedSegment(out.header)
                read.query_name = f"r{number}"
                read.query_sequence = "ACGTACGTACGTACGT"
                read.flag = 0
                read.reference_id = 0
                read.reference_start = number * 4
                read.mapping_quality = 60
                read.cigarstring = "16M"
                read.query_qualities = pysam.qualitystring_to_array("I" * 16)
                out.write(read)
        pysam.index(str(PARAM_bam))
        PARAM = asyncio.run(
            Alignment.create(
                str(PARAM_bam), companions={"bai": f"{PARAM_bam}.bai"}, sample_id="s1",
                reference_id="", sorted=True, duplicates_marked=False, parents=[],
                tool="user", tool_version="",
            )
        )
        """,
        ("pysam",),
    ),
    "Variants": (
        """
        PARAM_vcf = workspace / "PARAM.vcf"
        PARAM_vcf.write_text(
            "##fileformat=VCFv4.2\\n##contig=<ID=chr1,length=80>\\n"
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\\n'
            "#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\tFORMAT\\ts1\\n"
            "chr1\\t5\\t.\\tA\\tG\\t50\\tPASS\\t.\\tGT\\t0/1\\n"
        )
        PARAM_vcf_gz = pysam.tabix_index(str(PARAM_vcf), preset="vcf", force=True)
        PARAM = asyncio.run(
            Variants.create(
                PARAM_vcf_gz, companions={"tbi": PARAM_vcf_gz + ".tbi"}, sample_id="s1",
                caller="test", parents=[], tool="user", tool_version="",
            )
        )
        """,
        ("pysam",),
    ),
    "AnnData": (
        """
        PARAM_h5ad = workspace / "PARAM.h5ad"
        counts = numpy.random.default_rng(0).poisson(1.0, size=(30, 12)).astype("float32")
        anndata.AnnData(counts).write_h5ad(PARAM_h5ad)
        PARAM = asyncio.run(
            AnnData.create(
                str(PARAM_h5ad), sample_id="s1", stage="raw", parents=[], tool="user",
                tool_version="",
            )
        )
        """,
        ("anndata", "numpy"),
    ),
    "Table": (
        """
        PARAM_tsv = workspace / "PARAM.tsv"
        PARAM_tsv.write_text("gene\\tcount\\nA\\t1\\nB\\t2\\n")
        PARAM = asyncio.run(
            Table.create(
                str(PARAM_tsv), name="test", sample_id="s1", format="tsv", parents=[],
                tool="user", tool_version="",
            )
        )
        """,
        (),
    ),
}


@dataclass
class GeneratedTest:
    """A generated test function and the imports it needs."""

    name: str
    source: str
    imports: list[ImportSpec]
    runs: bool
    missing: list[str] = field(default_factory=list)


def _asset_name(annotation: ast.expr, imports: dict[str, ImportSpec]) -> str | None:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Name):
        spec = imports.get(annotation.id)
        if spec and spec.module.startswith("stargazer.types") and spec.member in ASSET_TYPES:
            return spec.member
    if isinstance(annotation, ast.Attribute) and annotation.attr in ASSET_TYPES:
        base = annotation.value
        if isinstance(base, ast.Name) and imports.get(base.id, ImportSpec("")).module.startswith(
            "stargazer"
        ):
            return annotation.attr
    return None


def _value_for(
    param: _Param, annotation: ast.expr, imports: dict[str, ImportSpec], out: GeneratedTest
) -> tuple[list[str], str] | None:
    """Setup lines and the expression for a tiny input of this type, or None if unknown."""
    annotation = _strip_optional(annotation)
    if isinstance(annotation, ast.Name) and annotation.id in _SCALARS:
        return [], _SCALARS[annotation.id]
    if isinstance(annotation, ast.Name) and annotation.id == "str":
        return [], "'s1'" if "sample" in param.name else "'test'"
    asset = _asset_name(annotation, imports)
    if asset is not None:
        builder, modules = _ASSET_BUILDERS[asset]
        out.imports.append(ImportSpec("stargazer.types", asset))
        out.imports.append(ImportSpec("asyncio"))
        out.imports += [ImportSpec(module) for module in modules]
        code = textwrap.dedent(builder).strip("\n").replace("PARAM", param.name)
        return code.splitlines(), param.name
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        container = annotation.value.id
        inner = annotation.slice
        if container == "list":
            made = _value_for(param, inner, imports, out)
            if made is not None:
                return made[0], f"[{made[1]}]"
        if container == "dict" and isinstance(inner, ast.Tuple) and len(inner.elts) == 2:
            key = inner.elts[0]
            made = _value_for(param, inner.elts[1], imports, out)
            if isinstance(key, ast.Name) and key.id == "str" and made is not None:
                return made[0], f"{{'a': {made[1]}}}"
    return None


def _return_checks(
    returns: ast.expr | None, imports: dict[str, ImportSpec], out: GeneratedTest
) -> list[str]:
    if returns is None or (isinstance(returns, ast.Constant) and returns.value is None):
        return ["assert run.outputs()[0] is None"]
    if (
        isinstance(returns, ast.Subscript)
        and isinstance(returns.value, ast.Name)
        and returns.value.id == "tuple"
    ):
        elements = returns.slice.elts if isinstance(returns.slice, ast.Tuple) else [returns.slice]
        lines = ["outputs = run.outputs()"]
        for index, element in enumerate(elements):
            lines.append(_isinstance_check(f"outputs[{index}]", element, imports, out))
        return lines
    return ["result = run.outputs()[0]", _isinstance_check("result", returns, imports, out)]


def _isinstance_check(
    expression: str, annotation: ast.expr, imports: dict[str, ImportSpec], out: GeneratedTest
) -> str:
    annotation = _strip_optional(annotation)
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    asset = _asset_name(annotation, imports)
    if asset is not None:
        out.imports.append(ImportSpec("stargazer.types", asset))
        return f"assert isinstance({expression}, {asset})"
    if isinstance(annotation, ast.Name) and annotation.id in _BUILTINS:
        return f"assert isinstance({expression}, {annotation.id})"
    if isinstance(annotation, ast.Name | ast.Attribute):
        root_name = annotation
        while isinstance(root_name, ast.Attribute):
            root_name = root_name.value
        if isinstance(root_name, ast.Name) and root_name.id in imports:
            out.imports.append(imports[root_name.id])
            return f"assert isinstance({expression}, {ast.unparse(annotation)})"
    return f"assert {expression} is not None"


def generate_test(
    task: _FunctionNode, package: str, imports: dict[str, ImportSpec]
) -> GeneratedTest:
    """A pytest function that runs the promoted task through `flyte.run` on tiny inputs.

    Where an input cannot be built from its type, the test is marked xfail(strict) and says
    which inputs are missing, with a TODO.
    """
    name = task.name
    out = GeneratedTest(f"test_{name}_runs", "", [], runs=True)
    out.imports += [ImportSpec("flyte"), ImportSpec(package, name)]
    setup: list[str] = []
    arguments: list[str] = []
    for param in _required_params(task):
        made = None
        if param.annotation is not None:
            made = _value_for(param, param.annotation, imports, out)
        if made is None:
            shown = ast.unparse(param.annotation) if param.annotation is not None else "no type"
            out.missing.append(f"{param.name}: {shown}")
            continue
        setup += made[0]
        arguments.append(f"{param.name}={made[1]}")
    call = ", ".join([name, *arguments])
    checks = _return_checks(task.returns, imports, out)
    body: list[str]
    if out.missing:
        out.runs = False
        out.imports.append(ImportSpec("pytest"))
        missing = "; ".join(out.missing)
        reason = f"TODO: build tiny inputs for {missing}, pass them below, remove this marker"
        body = [
            f"# TODO: promote-task cannot build these inputs from their types: {missing}.",
            "# Write tiny ones into `workspace`, pass them to flyte.run, remove the xfail.",
            "flyte.init_from_config()",
            *setup,
            f"raise NotImplementedError({f'no test inputs for {missing}'!r})",
            f"run = flyte.run({call})",
            *checks,
        ]
        decorator = (
            f"@pytest.mark.xfail(strict=True, raises=NotImplementedError, reason={reason!r})\n"
        )
    else:
        body = [
            "flyte.init_from_config()",
            *setup,
            f"run = flyte.run({call})",
            "# TODO(review): also check the values, not only the types.",
            *checks,
        ]
        decorator = ""
    indented = "".join(f"    {line}\n" if line else "\n" for line in body)
    out.source = f"{decorator}def {out.name}(workspace):\n{indented}"
    return out


# --------------------------------------------------------------------------------------------
# Planning


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


def find_root(*starts: Path) -> Path:
    """The workspace root: the nearest folder above a start that holds `src/stargazer`.

    Raises:
        PromotionError: No such folder.
    """
    for start in starts:
        start = start.resolve()
        for folder in (start, *start.parents):
            if (folder / "src" / "stargazer" / "__init__.py").exists():
                return folder
    raise PromotionError(
        f"no Stargazer checkout (a folder with src/stargazer) above {starts[0]}; run "
        "promote-task inside the repository"
    )


def _target(root: Path, to: str) -> tuple[Path, str, str]:
    """The target module's path, dotted name and the package it is exported from."""
    relative = Path(to)
    parts = relative.parts
    if relative.is_absolute() or ".." in parts or relative.suffix != ".py":
        raise PromotionError(
            f"--to {to}: give a module path relative to src/stargazer/, e.g. tasks/coverage.py"
        )
    if not parts or parts[0] not in PACKAGES or len(parts) < 2:
        raise PromotionError(
            f"--to {to}: tasks are promoted into {' or '.join(p + '/' for p in PACKAGES)}, "
            "e.g. tasks/coverage.py"
        )
    if relative.name == "__init__.py" or not all(
        p.isidentifier() for p in relative.with_suffix("").parts
    ):
        raise PromotionError(
            f"--to {to}: the module needs an importable name (letters, digits, _), not __init__.py"
        )
    path = root / "src" / "stargazer" / relative
    package_init = root / "src" / "stargazer" / parts[0] / "__init__.py"
    if not package_init.exists():
        raise PromotionError(f"--to {to}: {package_init} is missing; is this a Stargazer checkout?")
    module = "stargazer." + ".".join(relative.with_suffix("").parts)
    return path, module, f"stargazer.{parts[0]}"


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _docstring(summary: str, *paragraphs: str) -> str:
    """A module docstring with its paragraphs wrapped at 96 columns."""
    wrapped = [textwrap.fill(p, width=96, break_on_hyphens=False) for p in paragraphs]
    return '"""' + "\n\n".join([summary, *wrapped]) + '\n"""\n'


def _module_docstring(notebook_rel: str, test_rel: str) -> str:
    return _docstring(
        "Tasks promoted from a notebook by `stargazer promote-task`.",
        f"Promoted from `{notebook_rel}`; `{test_rel}` runs each task through `flyte.run`. "
        "TODO(review): say what these tasks do and for whom.",
    )


def plan_promotion(request: PromoteRequest, root: Path | None = None) -> PromotionPlan:
    """Compute every file a promotion writes, without writing anything.

    Args:
        request: What to promote and where.
        root: The workspace root; by default found above the notebook (then the cwd).

    Returns:
        The plan: each file's old and new text, and warnings for review.

    Raises:
        PromotionError: The promotion is refused; the message says why and how to fix it.
    """
    notebook_path = request.notebook
    if not notebook_path.is_file():
        raise PromotionError(f"{notebook_path}: no such notebook; give NOTEBOOK::NAME")
    root = (root or find_root(notebook_path.parent, Path.cwd())).resolve()
    notebook_path = notebook_path.resolve()
    target, module, package = _target(root, request.to)
    plan = PromotionPlan(request, root, module, package)
    notebook_rel = plan.relative(notebook_path)
    notebook = Notebook(Path(notebook_rel), notebook_path.read_text(encoding="utf-8"))

    task = notebook.find(request.name)
    if not task.is_task or not isinstance(task.node, _FunctionNode):
        raise PromotionError(
            f"{notebook.where(task.node.lineno)}: `{request.name}` is not a task (it has no "
            "`@<env>.task` decorator); decorate it with a task environment, e.g. `@gatk_env.task` "
            "from stargazer.config, or bring it along as a helper with --with"
        )
    plan.task = task.name
    helpers: list[Candidate] = []
    for name in request.helpers:
        matches = [c for c in notebook.candidates if c.name == name]
        if not matches:
            available = ", ".join(sorted({c.name for c in notebook.candidates})) or "none"
            raise PromotionError(
                f"{notebook.path}: --with {name}: no function or class `{name}` in the notebook "
                f"(its functions: {available})"
            )
        if len(matches) > 1:
            raise PromotionError(
                f"{notebook.path}: --with {name} is ambiguous; it is defined at "
                + ", ".join(notebook.where(c.node.lineno) for c in matches)
            )
        if matches[0].node is task.node:
            raise PromotionError(f"--with {name}: that is the task being promoted")
        helpers.append(matches[0])

    old_module = _read(target)
    target_names = set(_top_level_bindings(ast.parse(old_module))) if old_module else set()
    brought = {h.name for h in helpers} | {task.name}
    resolution = Resolution()
    for candidate in [*helpers, task]:
        _resolve(notebook, candidate, brought, target_names - brought, resolution)
    if resolution.notebook_only:
        listed = "\n".join(
            f"  - {name}: {why}" for name, why in sorted(resolution.notebook_only.items())
        )
        raise PromotionError(
            f"cannot promote `{task.name}` from {notebook.path}: it uses names that exist only "
            f"in the notebook:\n{listed}\nImport them in the setup block from the SDK or a "
            "library, pass them as arguments, or bring helper functions along with "
            "--with NAME[,NAME]."
        )

    # The SDK module.
    test_rel_dir = Path("tests") / "stargazer" / Path(request.to).parent
    test_path = root / test_rel_dir / f"test_{target.stem}.py"
    blocks = [(c.name, notebook.segment(c.node)) for c in [*helpers, task]]
    if old_module is None:
        text = _module_docstring(notebook_rel, plan.relative(test_path))
    else:
        text = old_module
    text, replaced = place_definitions(text, blocks, plan.relative(target), request.replace)
    text = add_imports(text, list(resolution.imports.values()), Path(plan.relative(target)))
    text = ruff_tidy(text, target, root)
    _must_parse(text, target)
    plan.changes.append(
        FileChange(
            target,
            old_module,
            text,
            "created"
            if old_module is None
            else ("replaced " + ", ".join(replaced) if replaced else "appended"),
        )
    )
    plan.warnings += [f"ruff: {line}" for line in ruff_findings(text, target, root)]

    # Sub-packages on the way to the module need an __init__.py.
    folder = target.parent
    package_root = root / "src" / "stargazer" / Path(request.to).parts[0]
    while folder != package_root:
        init = folder / "__init__.py"
        if not init.exists():
            doc = f'"""`{folder.name}` tasks (see the modules in this folder)."""\n'
            plan.changes.append(FileChange(init, None, doc, "created (sub-package)"))
        folder = folder.parent

    # Export from the package.
    init_path = package_root / "__init__.py"
    init_old = init_path.read_text(encoding="utf-8")
    init_text = _export(init_old, task.name, module, package, plan.relative(init_path))
    if init_text != init_old:
        init_text = ruff_tidy(init_text, init_path, root)
        _must_parse(init_text, init_path)
        plan.changes.append(FileChange(init_path, init_old, init_text, f"exports {task.name}"))

    # The test.
    assert isinstance(task.node, ast.FunctionDef | ast.AsyncFunctionDef)
    test = generate_test(task.node, package, _notebook_imports(notebook))
    test_old = _read(test_path)
    if test_old is None:
        test_text = _docstring(
            f"Tests for `{module}`.",
            f"Generated by `stargazer promote-task` from `{notebook_rel}`: each test runs a "
            "task through `flyte.run` on tiny generated inputs.",
        )
    else:
        test_text = test_old
    test_text, _ = place_definitions(
        test_text, [(test.name, test.source)], plan.relative(test_path), request.replace
    )
    test_text = add_imports(test_text, test.imports, Path(plan.relative(test_path)))
    test_text = ruff_tidy(test_text, test_path, root)
    _must_parse(test_text, test_path)
    what = (
        "runs the task through flyte.run"
        if test.runs
        else ("xfail(strict): cannot build " + "; ".join(test.missing))
    )
    plan.changes.append(FileChange(test_path, test_old, test_text, what))
    if not test.runs:
        plan.warnings.append(
            f"{plan.relative(test_path)}: the test is xfail(strict) until it gets inputs for "
            + "; ".join(test.missing)
        )

    # The notebook.
    if not request.keep_notebook:
        rewritten = rewrite_notebook(
            notebook, task, package, plan.relative(target), frozenset(resolution.imports)
        )
        rewritten = ruff_tidy(rewritten, notebook_path, root, format_code=False)
        _must_parse(rewritten, notebook_path)
        plan.changes.append(
            FileChange(
                notebook_path, notebook.source, rewritten, f"imports {task.name} from {package}"
            )
        )
    return plan


def _notebook_imports(notebook: Notebook) -> dict[str, ImportSpec]:
    found: dict[str, ImportSpec] = {}
    for name, entries in notebook.imports.items():
        for spec, _node, _cell in entries:
            if spec is not None:
                found.setdefault(name, spec)
    return found


def _export(text: str, name: str, module: str, package: str, path: str) -> str:
    tree = ast.parse(text)
    existing = _existing_imports(tree).get(name)
    if existing is not None and existing.module != module:
        raise PromotionError(
            f"{path}: `{name}` is already exported from `{existing.module}`; "
            f"`from {package} import {name}` cannot name two tasks: rename the task in the "
            "notebook"
        )
    text = add_imports(text, [ImportSpec(module, name)], Path(path))
    return update_all(text, name, Path(path))


def _must_parse(text: str, path: Path) -> None:
    try:
        ast.parse(text, filename=str(path))
    except SyntaxError as err:
        raise PromotionError(
            f"{path}:{err.lineno}: promote-task produced code that does not parse ({err.msg}); "
            "nothing was written. Please report this with the notebook."
        ) from err


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
    setup = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.With)
            and any(_is_app_attribute(item.context_expr, app, "setup") for item in node.items)
        ),
        None,
    )
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
    tree = ast.parse(text)
    setup = next(
        node
        for node in tree.body
        if isinstance(node, ast.With)
        and any(_is_app_attribute(item.context_expr, app, "setup") for item in node.items)
    )
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
    start, end = _definition_span(task.node)
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


# --------------------------------------------------------------------------------------------
# Writing: all files or none


def apply_plan(plan: PromotionPlan) -> None:
    """Write every file of the plan; on any failure restore the tree exactly as it was.

    Raises:
        OSError: A file could not be written (after restoring everything).
    """
    written: list[FileChange] = []
    created_dirs: list[Path] = []
    try:
        for change in plan.changes:
            missing: list[Path] = []
            folder = change.path.parent
            while not folder.exists():
                missing.append(folder)
                folder = folder.parent
            for new_dir in reversed(missing):
                new_dir.mkdir()
                created_dirs.append(new_dir)
            _atomic_write(change.path, change.new)
            written.append(change)
    except BaseException:
        restore(written, created_dirs)
        raise


def restore(changes: list[FileChange], created_dirs: list[Path] | None = None) -> None:
    """Put files back as they were before `apply_plan` (delete the ones it created)."""
    for change in reversed(changes):
        if change.old is None:
            change.path.unlink(missing_ok=True)
        else:
            _atomic_write(change.path, change.old)
    for folder in reversed(created_dirs or []):
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


def _atomic_write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# Git: a promote/NAME branch, a commit, and a pull request (or the commands to open one)


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise PromotionError(
            f"git {args[0]} failed in {root}: {(result.stderr or result.stdout).strip()}"
        )
    return result


def check_git(plan: PromotionPlan) -> str:
    """Check that the promotion can be committed; return the branch to come back to.

    Raises:
        PromotionError: Not a git repository, no commit yet, or the branch exists.
    """
    if shutil.which("git") is None:
        raise PromotionError("git is not installed; install it or pass --no-git")
    if _git(plan.root, "rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise PromotionError(f"{plan.root} is not a git repository; pass --no-git")
    if _git(plan.root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0:
        raise PromotionError(
            f"{plan.root}: the repository has no commit yet; commit once or pass --no-git"
        )
    branch = plan.request.branch
    exists = _git(
        plan.root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False
    )
    if exists.returncode == 0:
        raise PromotionError(
            f"the branch {branch} already exists; delete it (git branch -D {branch}) or pass "
            "--no-git"
        )
    current = _git(plan.root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if current.returncode == 0:
        return current.stdout.strip()
    return _git(plan.root, "rev-parse", "HEAD").stdout.strip()


def pr_body(plan: PromotionPlan) -> str:
    """The pull request description: what was promoted and what review should check."""
    request = plan.request
    files = "\n".join(f"- `{plan.relative(c.path)}`: {c.what}" for c in plan.changes)
    test = next((c for c in plan.changes if c.path.name.startswith("test_")), None)
    test_rel = plan.relative(test.path) if test else "the generated test"
    return (
        f"Promotes `{plan.task}` from `{plan.relative(request.notebook.resolve())}` into "
        f"`{plan.module}` with `stargazer promote-task`.\n\n{files}\n\n"
        "Review should check:\n"
        f"- [ ] **Docstring**: `{plan.task}` says what it does, its inputs and its outputs "
        "(Google style; ruff D).\n"
        "- [ ] **Naming**: the task, its parameters and the module fit the SDK's conventions.\n"
        f"- [ ] **Test coverage**: `{test_rel}` checks values, not only types, and has no "
        "xfail marker left.\n"
        "- [ ] **Resources**: the task environment requests the CPU, memory and cache policy "
        "this task needs.\n"
    )


def commit_plan(plan: PromotionPlan, start: str) -> GitOutcome:
    """Commit the plan's files on a new `promote/NAME` branch, then open a PR if possible.

    The files must already be written. If the branch or commit cannot be made, the files,
    the index and the branch are restored and the error is raised.

    Args:
        plan: The applied plan.
        start: The branch (or commit) to return to on failure, from `check_git`.

    Raises:
        PromotionError: git failed; the working tree is as it was before the promotion.
    """
    root = plan.root
    branch = plan.request.branch
    index = Path(_git(root, "rev-parse", "--git-path", "index").stdout.strip())
    index = index if index.is_absolute() else root / index
    saved_index = index.read_bytes() if index.exists() else None
    paths = [plan.relative(change.path) for change in plan.changes]
    switched = False
    try:
        _git(root, "switch", "--quiet", "-c", branch)
        switched = True
        _git(root, "add", "--", *paths)
        message = f"Promote {plan.task} to {plan.module}\n\n{pr_body(plan)}"
        _git(root, "commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *paths)
    except BaseException as err:
        restore(plan.changes)
        if saved_index is not None:
            index.write_bytes(saved_index)
        if switched:
            _git(root, "switch", "--quiet", start, check=False)
            _git(root, "branch", "-D", branch, check=False)
        if isinstance(err, PromotionError):
            raise PromotionError(
                f"{err}\nThe promotion was rolled back: nothing changed. Fix git (or pass "
                "--no-git) and promote again."
            ) from err
        raise
    commit = _git(root, "rev-parse", "--short", "HEAD").stdout.strip()
    return _open_pr(plan, start, commit)


def _open_pr(plan: PromotionPlan, base: str, commit: str) -> GitOutcome:
    root = plan.root
    branch = plan.request.branch
    remotes = _git(root, "remote", check=False).stdout.split()
    remote = "origin" if "origin" in remotes else (remotes[0] if remotes else "origin")
    title = f"Promote {plan.task} to {plan.module}"
    body = pr_body(plan)
    push = ["git", "push", "-u", remote, branch]
    create = ["gh", "pr", "create", "--base", base, "--head", branch, "--title", title]
    create += ["--body", body]
    commands = (shlex.join(push), shlex.join(create))
    gh = shutil.which("gh")
    if gh is None:
        note = "gh is not installed"
    elif not remotes:
        note = "the repository has no remote"
    elif subprocess.run(
        [gh, "auth", "status"], cwd=root, capture_output=True, check=False
    ).returncode:
        note = "gh is not authenticated (gh auth login)"
    else:
        pushed = subprocess.run(push, cwd=root, capture_output=True, text=True, check=False)
        if pushed.returncode != 0:
            note = f"git push failed: {pushed.stderr.strip()}"
        else:
            created = subprocess.run(
                [gh, *create[1:]], cwd=root, capture_output=True, text=True, check=False
            )
            if created.returncode == 0:
                url = created.stdout.strip().splitlines()[-1] if created.stdout.strip() else ""
                return GitOutcome(branch, commit, pr_url=url or "(opened)")
            note = f"gh pr create failed: {created.stderr.strip()}"
            commands = (shlex.join(create),)
    return GitOutcome(branch, commit, commands=commands, note=note)


@dataclass(frozen=True)
class Outcome:
    """The result of `promote`: the plan, and what git did (None with --no-git/--dry-run)."""

    plan: PromotionPlan
    git: GitOutcome | None
    applied: bool


def promote(
    request: PromoteRequest, *, root: Path | None = None, git: bool = True, dry_run: bool = False
) -> Outcome:
    """Promote a notebook task into the SDK: plan, check, write, and commit.

    Args:
        request: What to promote and where.
        root: The workspace root; by default found above the notebook.
        git: Make the `promote/NAME` branch and commit (and open a PR when possible).
        dry_run: Only plan; nothing is written (use `Outcome.plan.diff()`).

    Returns:
        What was (or would be) done.

    Raises:
        PromotionError: Refused or failed; the working tree is exactly as it was.
    """
    plan = plan_promotion(request, root)
    if dry_run:
        return Outcome(plan, None, applied=False)
    start = check_git(plan) if git else ""
    try:
        apply_plan(plan)
    except OSError as err:
        raise PromotionError(f"could not write the promotion ({err}); nothing was changed") from err
    outcome = commit_plan(plan, start) if git else None
    return Outcome(plan, outcome, applied=True)
