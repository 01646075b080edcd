"""Add import statements to a module's text: merged, deduplicated and grouped like isort."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.import_bindings import ImportSpec, import_bindings
from stargazer.promote.syntax import top_level_bindings


def existing_imports(tree: ast.Module) -> dict[str, ImportSpec]:
    """The module's top-level absolute imports, by the name each binds."""
    specs: dict[str, ImportSpec] = {}
    for node in tree.body:
        for bound, spec in import_bindings(node):
            if spec is not None:
                specs[bound] = spec
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
    existing = existing_imports(tree)
    bindings = top_level_bindings(tree)
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
