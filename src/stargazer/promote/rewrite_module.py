"""Stage 5, rewriting the SDK module: definitions placed, imports merged, task exported.

Imports are merged, deduplicated and grouped like isort; the task is exported from its
package (`from stargazer.tasks import NAME`).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.import_bindings import ImportSpec, import_bindings
from stargazer.promote.syntax import DefNode, definition_span, top_level_bindings


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
    bindings = top_level_bindings(tree)
    replacements: list[tuple[int, int, str]] = []
    appended: list[str] = []
    replaced: list[str] = []
    for name, source in blocks:
        node = bindings.get(name)
        if node is None:
            appended.append(source)
            continue
        if not isinstance(node, DefNode):
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
        start, end = definition_span(node)
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
    value: ast.expr | None
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
        constants = [i.value for i in items or [] if isinstance(i, ast.Constant)]
        names = [n for n in constants if isinstance(n, str)]
        if value is None or items is None or len(names) != len(constants):
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


def export_from_package(text: str, name: str, module: str, package: str, path: str) -> str:
    """The package `__init__` text with NAME imported from MODULE and listed in `__all__`.

    Raises:
        PromotionError: The package already exports another `NAME`.
    """
    tree = ast.parse(text)
    existing = existing_imports(tree).get(name)
    if existing is not None and existing.module != module:
        raise PromotionError(
            f"{path}: `{name}` is already exported from `{existing.module}`; "
            f"`from {package} import {name}` cannot name two tasks: rename the task in the "
            "notebook"
        )
    text = add_imports(text, [ImportSpec(module, name)], Path(path))
    return update_all(text, name, Path(path))
