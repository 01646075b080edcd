"""The boundary rule, checked on source text: nothing outside `notebooks/` uses a notebook.

ruff's banned-api rule (TID251, configured in `pyproject.toml`) already refuses static
`import notebooks...` outside `notebooks/`. This module catches what a static import rule
cannot see, by reading each file with `ast` (nothing is imported or executed):

- `SG001` a dynamic import of a notebook: `importlib.import_module("notebooks.x")`,
  `__import__("notebooks.x")`, `importlib.util.spec_from_file_location(..., "notebooks/x.py")`.
- `SG002` running a notebook file in-process: `runpy.run_path`/`run_module`, `exec(...)`.
- `SG003` a `sys.path` (or `site.addsitedir`, `PYTHONPATH`) change that puts `notebooks/` on
  the import path.
- `SG004` marimo loading a notebook app from SDK code (`marimo._ast.load.load_app` and
  friends). Tests may run notebooks through marimo, so `tests/` is exempt from this one.

And the other direction, for files under `notebooks/`:

- `SG010` a notebook importing a private part of the SDK (`stargazer.types._base`,
  `from stargazer.store import _index`). Notebooks use the public API only: `stargazer.types`,
  `.tasks`, `.workflows`, `.utils`, `.config`, ...

A string "refers to notebooks" when it is a dotted module name starting with `notebooks` or a
path with a `notebooks` component; names assigned such a value in the same file count too
(`NOTEBOOKS = ROOT / "notebooks"`).

    >>> findings = check_source("import runpy; runpy.run_path('notebooks/x.py')", "a.py")
    >>> [(f.line, f.code) for f in findings]
    [(1, 'SG002')]
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from stargazer.import_bindings import import_bindings

#: Folders never walked when a directory is checked.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "__pycache__",
        "__marimo__",
        "node_modules",
        "build",
        "dist",
        ".ruff_cache",
        ".pytest_cache",
        ".stargazer",
        ".flyte",
    }
)

#: Which rules a check runs: "sdk" (files outside notebooks/), "notebooks", or "all".
CHECKS = ("all", "sdk", "notebooks")

_IMPORTERS = {"importlib.import_module", "__import__", "importlib.__import__"}
_FILE_LOADERS = {
    "importlib.util.spec_from_file_location",
    "importlib.machinery.SourceFileLoader",
    "importlib.machinery.SourcelessFileLoader",
}
_RUNNERS = {"runpy.run_path", "runpy.run_module", "exec", "builtins.exec", "execfile"}
_PATH_MUTATORS = {"sys.path.insert", "sys.path.append", "sys.path.extend", "site.addsitedir"}
_MARIMO_LOADERS = {
    "marimo._ast.load.load_app",
    "marimo._ast.load.load_notebook_ir",
    "marimo._session.notebook.loader.load_notebook",
    "marimo.MarimoIslandGenerator.from_file",
    "marimo._islands.MarimoIslandGenerator.from_file",
    "marimo._islands._island_generator.MarimoIslandGenerator.from_file",
}
_FIX = "move the code into src/stargazer (see `stargazer promote-task`)"


@dataclass(frozen=True, order=True)
class Finding:
    """One boundary violation.

    Attributes:
        path: The file, as it was given (relative paths stay relative).
        line: 1-based line of the offending expression.
        col: 1-based column.
        code: The rule (`SG001` ... `SG010`).
        message: What is wrong and how to fix it.
    """

    path: str
    line: int
    col: int
    code: str
    message: str

    def format(self) -> str:
        """`file:line:col CODE message`, the form editors and pre-commit link to."""
        return f"{self.path}:{self.line}:{self.col} {self.code} {self.message}"


def refers_to_notebooks(text: str) -> bool:
    """Whether a string names the notebooks package or a path inside `notebooks/`.

    Args:
        text: A module name (`notebooks.scratch.x`) or a path (`../notebooks/x.py`).
    """
    if text == "notebooks" or text.startswith("notebooks."):
        return True
    parts = text.replace("\\", "/").split("/")
    return "notebooks" in parts


def is_notebook_path(path: Path, root: Path) -> bool:
    """Whether `path` lies under the workspace's top-level `notebooks/` folder."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return "notebooks" in path.parts
    return bool(relative.parts) and relative.parts[0] == "notebooks"


def is_test_path(path: Path, root: Path) -> bool:
    """Whether `path` lies under the workspace's top-level `tests/` folder."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return bool(relative.parts) and relative.parts[0] == "tests"


def workspace_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `pyproject.toml` or `.git`, else cwd."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").exists() or (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


class _Aliases:
    """Maps the local names a file binds by import to the dotted names they stand for."""

    def __init__(self, tree: ast.AST) -> None:
        self.names: dict[str, str] = {}
        for node in ast.walk(tree):
            for bound, spec in import_bindings(node):
                if spec is not None:
                    self.names[bound] = spec.qualified

    def qualify(self, node: ast.expr) -> str | None:
        """The dotted name an expression like `il.import_module` refers to, if static."""
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value)
            return f"{base}.{node.attr}" if base else None
        return None


def _tainted_names(tree: ast.AST) -> set[str]:
    """Names assigned (anywhere in the file) a value that refers to notebooks."""
    tainted: set[str] = set()
    assignments: list[tuple[list[str], ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            assignments.append((targets, node.value))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            if isinstance(node.target, ast.Name):
                assignments.append(([node.target.id], node.value))
        elif isinstance(node, ast.NamedExpr):
            assignments.append(([node.target.id], node.value))
    changed = True
    while changed:
        changed = False
        for targets, value in assignments:
            if set(targets) <= tainted:
                continue
            if _mentions_notebooks(value, tainted):
                tainted.update(targets)
                changed = True
    return tainted


def _mentions_notebooks(node: ast.AST, tainted: set[str]) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            if refers_to_notebooks(child.value):
                return True
        elif isinstance(child, ast.Name) and child.id in tainted:
            return True
    return False


def _call_args(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(keyword.value for keyword in call.keywords)]


def _sdk_findings(tree: ast.AST, path: str, in_tests: bool) -> Iterator[Finding]:
    aliases = _Aliases(tree)
    tainted = _tainted_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = aliases.qualify(node.func)
            if name is None:
                continue
            args = _call_args(node)
            mentions = any(_mentions_notebooks(arg, tainted) for arg in args)
            where = (node.lineno, node.col_offset + 1)
            if name in _IMPORTERS and mentions:
                yield Finding(
                    path,
                    *where,
                    "SG001",
                    f"{name}(...) imports a notebook; nothing outside notebooks/ may: {_FIX}",
                )
            elif name in _FILE_LOADERS and mentions:
                yield Finding(
                    path,
                    *where,
                    "SG001",
                    f"{name}(...) loads a notebook file as a module; nothing outside "
                    f"notebooks/ may: {_FIX}",
                )
            elif name in _RUNNERS and mentions:
                yield Finding(
                    path,
                    *where,
                    "SG002",
                    f"{name}(...) runs a notebook file in-process; run it as a script in a "
                    f"subprocess (tests) or {_FIX}",
                )
            elif name in _PATH_MUTATORS and mentions:
                yield Finding(
                    path,
                    *where,
                    "SG003",
                    f"{name}(...) puts notebooks/ on the import path; remove it and {_FIX}",
                )
            elif name in _MARIMO_LOADERS and not in_tests:
                yield Finding(
                    path,
                    *where,
                    "SG004",
                    f"{name}(...) loads a notebook app into SDK code; notebooks are never a "
                    f"dependency of the SDK: {_FIX}",
                )
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if _is_import_path_target(target, aliases) and _mentions_notebooks(
                    node.value, tainted
                ):
                    yield Finding(
                        path,
                        node.lineno,
                        node.col_offset + 1,
                        "SG003",
                        f"changing {ast.unparse(target)} puts notebooks/ on the import path; "
                        f"remove it and {_FIX}",
                    )


def _is_import_path_target(target: ast.expr, aliases: _Aliases) -> bool:
    """`sys.path`, `sys.path[...]`, `os.environ["PYTHONPATH"]` or `env["PYTHONPATH"]`."""
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and key.value == "PYTHONPATH":
            return True
        target = target.value
    return aliases.qualify(target) == "sys.path"


def _private_part(module: str) -> str | None:
    for part in module.split("."):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return part
    return None


def _notebook_findings(tree: ast.AST, path: str) -> Iterator[Finding]:
    aliases = _Aliases(tree)
    for node in ast.walk(tree):
        modules: list[tuple[str, ast.stmt | ast.expr]] = []
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [(spec.imported, node) for _, spec in import_bindings(node) if spec]
        elif isinstance(node, ast.Call) and aliases.qualify(node.func) in _IMPORTERS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                modules = [(first.value, node)]
        for module, where in modules:
            if module.split(".")[0] != "stargazer":
                continue
            private = _private_part(module)
            if private is None:
                continue
            public = module.split(f".{private}")[0]
            yield Finding(
                path,
                where.lineno,
                where.col_offset + 1,
                "SG010",
                f"notebooks import only the public SDK, not the private `{private}` in "
                f"`{module}`; import it from `{public}` (export it there if it is missing)",
            )


def check_source(
    source: str, path: str, *, notebook: bool = False, in_tests: bool = False
) -> list[Finding]:
    """Check one file's text.

    Args:
        source: The file's Python source.
        path: The name findings are reported under.
        notebook: Apply the notebook rule (SG010) instead of the SDK rules.
        in_tests: The file is under `tests/` (marimo may load notebooks there).

    Returns:
        The findings, sorted by position. A file that does not parse is one finding (SG000).
    """
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        return [
            Finding(
                path,
                err.lineno or 1,
                err.offset or 1,
                "SG000",
                f"cannot check the boundary: the file does not parse ({err.msg}); fix the syntax",
            )
        ]
    found = _notebook_findings(tree, path) if notebook else _sdk_findings(tree, path, in_tests)
    return sorted(set(found))


def iter_python_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every `.py` file in `paths` (files as given; folders walked, skipping tool folders)."""
    for path in paths:
        if path.is_file():
            if path.suffix == ".py":
                yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(".py"):
                    yield Path(folder) / name


def check_paths(
    paths: Iterable[Path], root: Path | None = None, check: str = "all"
) -> tuple[list[Finding], int]:
    """Check files and folders against the boundary rule.

    Args:
        paths: Files or folders; folders are walked for `.py` files.
        root: The workspace root that `notebooks/` and `tests/` are relative to; by default
            the nearest folder above the first path holding `pyproject.toml` or `.git`.
        check: "sdk" checks only files outside `notebooks/`, "notebooks" only files inside
            it, "all" both.

    Returns:
        The findings and the number of files checked.

    Raises:
        ValueError: `check` is not one of `CHECKS`.
        FileNotFoundError: A path does not exist.
    """
    if check not in CHECKS:
        raise ValueError(f"unknown check {check!r}: use one of {', '.join(CHECKS)}")
    paths = list(paths)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder to check")
    root = root or workspace_root(paths[0] if paths else Path.cwd())
    findings: list[Finding] = []
    checked = 0
    for path in iter_python_files(paths):
        notebook = is_notebook_path(path, root)
        if (check == "sdk" and notebook) or (check == "notebooks" and not notebook):
            continue
        checked += 1
        source = path.read_text(encoding="utf-8", errors="replace")
        findings += check_source(
            source, str(path), notebook=notebook, in_tests=is_test_path(path, root)
        )
    return findings, checked
