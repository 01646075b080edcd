"""The package stays legible: short modules, short functions (issue 18).

A module in `src/stargazer` has at most `MAX_MODULE_LINES` lines. A function (or method, or
nested function) spans at most `MAX_FUNCTION_LINES` lines from its `def` to its last line,
unless its docstring says why it is longer in a sentence starting "Long because", e.g.
"Long because the steps share one lock and must run in this order."
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "stargazer"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON = re.compile(r"\bLong because\b", re.IGNORECASE)

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _functions(tree: ast.Module) -> list[tuple[str, Function]]:
    """Every function in a module with its qualified name (`Class.method`, `outer.inner`)."""
    found: list[tuple[str, Function]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, Function):
                name = f"{prefix}{child.name}"
                found.append((name, child))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _where(path: Path) -> str:
    return str(path.relative_to(SRC.parents[1]))


def long_modules() -> list[str]:
    """`file: N lines` for every module over the limit."""
    problems = []
    for path in _modules():
        count = len(path.read_text().splitlines())
        if count > MAX_MODULE_LINES:
            problems.append(f"{_where(path)}: {count} lines")
    return problems


def too_long(tree: ast.Module) -> list[tuple[str, int, int]]:
    """(name, line, length) of each function over the limit whose docstring gives no reason."""
    found = []
    for name, node in _functions(tree):
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > MAX_FUNCTION_LINES and not REASON.search(ast.get_docstring(node) or ""):
            found.append((name, node.lineno, length))
    return found


def long_functions() -> list[str]:
    """`file:line function: N lines` for every function over the limit without a reason."""
    return [
        f"{_where(path)}:{line} {name}: {length} lines"
        for path in _modules()
        for name, line, length in too_long(ast.parse(path.read_text(), str(path)))
    ]


def test_no_module_is_over_the_line_limit() -> None:
    problems = long_modules()
    assert not problems, (
        f"modules over {MAX_MODULE_LINES} lines (split them by concern):\n  "
        + "\n  ".join(problems)
    )


def test_no_function_is_over_the_line_limit_without_a_reason() -> None:
    problems = long_functions()
    assert not problems, (
        f"functions over {MAX_FUNCTION_LINES} lines (split them, or say why in the docstring "
        'with a sentence starting "Long because"):\n  ' + "\n  ".join(problems)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n" + "    x = 1\n" * 60, [("f", 1, 61)]),
        ("def f():\n" + "    x = 1\n" * 59, []),
        ('def f():\n    """Long because it must."""\n' + "    x = 1\n" * 70, []),
        ('def f():\n    """Short."""\n' + "    x = 1\n" * 70, [("f", 1, 72)]),
        ("class C:\n    def m(self):\n" + "        x = 1\n" * 60, [("C.m", 2, 61)]),
        ("def f():\n    def g():\n" + "        x = 1\n" * 60, [("f", 1, 62), ("f.g", 2, 61)]),
    ],
)
def test_the_function_check_measures_def_to_last_line(
    source: str, expected: list[tuple[str, int, int]]
) -> None:
    assert too_long(ast.parse(source)) == expected
