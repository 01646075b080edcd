"""What the names in a file stand for, and which modules it imports (statically or not)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from stargazer.import_bindings import import_bindings

#: Calls that import a module named by a string.
IMPORTERS = {"importlib.import_module", "__import__", "importlib.__import__"}


class Aliases:
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


def imported_modules(tree: ast.AST, aliases: Aliases) -> Iterator[tuple[str, ast.stmt | ast.expr]]:
    """Every absolute module a file imports, with the statement or call that imports it.

    `from a import b` yields `a.b` (b may be a module or a name in `a`); a call of
    `importlib.import_module` with a constant string yields that string.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for _, spec in import_bindings(node):
                if spec is not None:
                    yield spec.imported, node
        elif isinstance(node, ast.Call) and aliases.qualify(node.func) in IMPORTERS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value, node
