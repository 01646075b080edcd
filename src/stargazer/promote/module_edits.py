"""Put promoted definitions into a module and export them from their package."""

from __future__ import annotations

import ast
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.import_bindings import ImportSpec
from stargazer.promote.module_imports import add_imports, existing_imports
from stargazer.promote.syntax import DefNode, definition_span, top_level_bindings


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
