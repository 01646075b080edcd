"""Small `ast` helpers for reading and editing Python modules as text."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

from stargazer.import_bindings import import_bindings

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
DefNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

#: Names Python provides without an import.
BUILTINS = frozenset(dir(builtins))


def first_line(node: DefNode) -> int:
    """The line a definition starts on, counting its decorators."""
    return min([node.lineno, *(dec.lineno for dec in node.decorator_list)])


def definition_span(node: DefNode) -> tuple[int, int]:
    """The first and last line of a definition, decorators included."""
    return first_line(node), node.end_lineno or node.lineno


def bound_names(statements: list[ast.stmt]) -> Iterator[tuple[str, ast.AST]]:
    """Names a block of statements binds in its own scope (not in nested functions)."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, DefNode):
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


def top_level_bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    """Each name a module binds at its top level, with the statement that first binds it."""
    found: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, DefNode):
            found.setdefault(node.name, node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for bound, _spec in import_bindings(node):
                found.setdefault(bound, node)
        else:
            for name, _ in bound_names([node]):
                found.setdefault(name, node)
    return found
