"""The SDK side of the rule: nothing outside `notebooks/` uses a notebook (SG001-SG005)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from stargazer.boundary.files import refers_to_notebooks
from stargazer.boundary.finding import FIX as _FIX
from stargazer.boundary.finding import Finding
from stargazer.boundary.names import IMPORTERS as _IMPORTERS
from stargazer.boundary.names import Aliases as _Aliases

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


#: (calls, code, what the call does): a call that mentions notebooks is a finding.
_CALL_RULES: tuple[tuple[set[str], str, str], ...] = (
    (_IMPORTERS, "SG001", "imports a notebook; nothing outside notebooks/ may: {fix}"),
    (
        _FILE_LOADERS,
        "SG001",
        "loads a notebook file as a module; nothing outside notebooks/ may: {fix}",
    ),
    (
        _RUNNERS,
        "SG002",
        "runs a notebook file in-process; run it as a script in a subprocess (tests) or {fix}",
    ),
    (_PATH_MUTATORS, "SG003", "puts notebooks/ on the import path; remove it and {fix}"),
)


def _call_finding(
    node: ast.Call, name: str, path: str, tainted: set[str], in_tests: bool
) -> Finding | None:
    where = (node.lineno, node.col_offset + 1)
    if name in _MARIMO_LOADERS and not in_tests:
        return Finding(
            path,
            *where,
            "SG004",
            f"{name}(...) loads a notebook app into SDK code; notebooks are never a "
            f"dependency of the SDK: {_FIX}",
        )
    if not any(_mentions_notebooks(arg, tainted) for arg in _call_args(node)):
        return None
    for names, code, problem in _CALL_RULES:
        if name in names:
            return Finding(path, *where, code, f"{name}(...) {problem.format(fix=_FIX)}")
    return None


def _static_import(node: ast.Import | ast.ImportFrom, path: str) -> Finding | None:
    """SG005: `import notebooks.x` / `from notebooks... import y` outside notebooks/."""
    modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        modules = [node.module]
    for module in modules:
        if module == "notebooks" or module.startswith("notebooks."):
            return Finding(
                path,
                node.lineno,
                node.col_offset + 1,
                "SG005",
                f"`{ast.unparse(node)}` imports a notebook; nothing outside notebooks/ may: {_FIX}",
            )
    return None


def sdk_findings(tree: ast.AST, path: str, in_tests: bool) -> Iterator[Finding]:
    """SG001-SG005 in one file outside `notebooks/`.

    Args:
        tree: The parsed file.
        path: The name findings are reported under.
        in_tests: The file is under `tests/` (marimo may load notebooks there: no SG004).
    """
    aliases = _Aliases(tree)
    tainted = _tainted_names(tree)
    for node in ast.walk(tree):
        found: Finding | None = None
        if isinstance(node, ast.Import | ast.ImportFrom):
            found = _static_import(node, path)
        elif isinstance(node, ast.Call):
            name = aliases.qualify(node.func)
            if name is not None:
                found = _call_finding(node, name, path, tainted, in_tests)
        elif isinstance(node, ast.Assign | ast.AugAssign):
            found = _path_assignment(node, path, aliases, tainted)
        if found is not None:
            yield found


def _path_assignment(
    node: ast.Assign | ast.AugAssign, path: str, aliases: _Aliases, tainted: set[str]
) -> Finding | None:
    """SG003 for `sys.path = [...]`, `sys.path += [...]`, `os.environ["PYTHONPATH"] = ...`."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        if _is_import_path_target(target, aliases) and _mentions_notebooks(node.value, tainted):
            return Finding(
                path,
                node.lineno,
                node.col_offset + 1,
                "SG003",
                f"changing {ast.unparse(target)} puts notebooks/ on the import path; "
                f"remove it and {_FIX}",
            )
    return None


def _is_import_path_target(target: ast.expr, aliases: _Aliases) -> bool:
    """`sys.path`, `sys.path[...]`, `os.environ["PYTHONPATH"]` or `env["PYTHONPATH"]`."""
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and key.value == "PYTHONPATH":
            return True
        target = target.value
    return aliases.qualify(target) == "sys.path"
