"""Mechanical fixes: a docstring skeleton, an asset parameter, a keyword, an export, an import.

Each builder returns a function from a file's text to the fixed text. The function re-parses
the text and finds its target by name, so fixes compose in any order; when the target is gone
or already fixed, the text comes back unchanged.
"""

from __future__ import annotations

import ast

from stargazer.review.findings import FixFunction
from stargazer.review.patches import Span, insert_lines, replace_spans
from stargazer.review.source import FunctionNode, find_function, parameters

#: Suffixes that mark a parameter as a file path; the asset parameter drops them.
PATH_SUFFIXES = ("_file_path", "_filename", "_path", "_file", "_fn")


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def docstring_skeleton(node: FunctionNode, indent: str) -> list[str]:
    """A Google-style docstring for a task, from its name, parameters and return type."""
    params = [p.arg for p in parameters(node) if p.arg not in ("self", "cls")]
    summary = f"Compute {node.name.replace('_', ' ')}"
    summary += f" from {_join(params)}." if params else "."
    lines = [f'{indent}"""{summary}']
    if params:
        lines += ["", f"{indent}Args:"]
        lines += [f"{indent}    {p}: The {p.replace('_', ' ')}." for p in params]
    returns = node.returns
    if returns is not None and not (isinstance(returns, ast.Constant) and returns.value is None):
        lines += ["", f"{indent}Returns:", f"{indent}    The {ast.unparse(returns)} made."]
    if len(lines) == 1:
        return [lines[0] + '"""']
    return [*lines, f'{indent}"""']


def _signature_end(lines: list[str], node: FunctionNode) -> int:
    """The 1-based line holding the `:` that ends a function's signature."""
    end = node.lineno
    for number in range(node.lineno, node.body[0].lineno):
        code = lines[number - 1].split("#", 1)[0].rstrip()
        if code.endswith(":"):
            end = number
    return end


def docstring_fix(task: str) -> FixFunction:
    """Insert a docstring skeleton into `task` if it has none."""

    def apply(text: str) -> str:
        tree = _parse(text)
        node = find_function(tree, task) if tree else None
        if node is None or ast.get_docstring(node) is not None:
            return text
        first = node.body[0]
        if first.lineno == node.lineno:
            return text  # a one-line `def f(): ...`
        end = _signature_end(text.splitlines(), node)
        skeleton = docstring_skeleton(node, " " * first.col_offset)
        return insert_lines(text, end + 1, skeleton)

    return apply


def add_import(text: str, statement: str, bound: str) -> str:
    """Add a top-level import unless `bound` is already a top-level name."""
    tree = _parse(text)
    if tree is None:
        return text
    last = 0
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if any((a.asname or a.name.split(".")[0]) == bound for a in node.names):
                return text
            last = node.end_lineno or node.lineno
        elif last == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            last = node.end_lineno or node.lineno  # after the module docstring
    return insert_lines(text, last + 1, [statement])


def asset_calls(node: FunctionNode, asset_names: set[str]) -> list[ast.Call]:
    """`X.create(...)` / `X.create_sync(...)` calls on asset types, in source order."""
    calls = [
        call
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in ("create", "create_sync")
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id in asset_names
    ]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _local_names(node: FunctionNode) -> set[str]:
    names = {p.arg for p in parameters(node)}
    names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return names


def _span(node: ast.expr, text: str) -> Span:
    """Replace the source of `node` with `text`."""
    end_line, end_col = node.end_lineno or node.lineno, node.end_col_offset or 0
    return Span(node.lineno, node.col_offset, end_line, end_col, text)


def _asset_names(param: str, used: set[str]) -> tuple[str, str] | None:
    """(the asset parameter's name, the local variable for its path), None if one is taken.

    `x_path` becomes `x` and keeps `x_path` for the path; `x` stays `x` with `x_path`.
    """
    new_name = param
    for suffix in PATH_SUFFIXES:
        if param.endswith(suffix) and len(param) > len(suffix):
            new_name = param[: -len(suffix)]
            break
    if new_name != param and new_name in used:
        new_name = param
    local = param if new_name != param else f"{param}_path"
    if local != param and local in used:
        return None
    return new_name, local


def _empty_parents(node: FunctionNode, asset_names: set[str], parent: str) -> list[Span]:
    """`parents=[]` of the assets a function creates, made `parents=[parent]`."""
    return [
        _span(keyword.value, f"[{parent}]")
        for call in asset_calls(node, asset_names)
        for keyword in call.keywords
        if keyword.arg == "parents"
        and isinstance(keyword.value, ast.List)
        and not keyword.value.elts
    ]


def _insert_fetch(text: str, task: str, asset: str, local: str) -> str | None:
    """Put `local = await asset.fetch()` first in `task`'s body (None: no such task)."""
    tree = _parse(text)
    node = find_function(tree, task) if tree else None
    if node is None:
        return None
    body = node.body
    has_doc = ast.get_docstring(node) is not None
    first = body[1] if has_doc and len(body) > 1 else body[0]
    before = first.lineno if not (has_doc and len(body) == 1) else (node.end_lineno or 0) + 1
    return insert_lines(text, before, [f"{' ' * first.col_offset}{local} = await {asset}.fetch()"])


def asset_parameter_fix(task: str, param: str, asset: str, asset_names: set[str]) -> FixFunction:
    """Make `param` an `asset` parameter; the body fetches its file into a local path.

    A parameter named `x_path` becomes `x: Asset` and `x_path = await x.fetch()` keeps the
    body as it was; a parameter named `x` stays `x` and the body's uses become `x_path`. An
    empty `parents=[]` on the assets the task creates becomes `parents=[x]`.
    """

    def apply(text: str) -> str:
        tree = _parse(text)
        node = find_function(tree, task) if tree else None
        arg = next((p for p in parameters(node) if p.arg == param), None) if node else None
        if node is None or arg is None or arg.annotation is None:
            return text
        annotation = arg.annotation
        if isinstance(annotation, ast.Name) and annotation.id == asset:
            return text
        names = _asset_names(param, _local_names(node))
        if names is None:
            return text
        new_name, local = names
        end_line = annotation.end_lineno or arg.lineno
        end_col = annotation.end_col_offset or 0
        spans = [Span(arg.lineno, arg.col_offset, end_line, end_col, f"{new_name}: {asset}")]
        if local != param:
            spans += [
                _span(name, local)
                for statement in node.body
                for name in ast.walk(statement)
                if isinstance(name, ast.Name) and name.id == param
            ]
        spans += _empty_parents(node, asset_names, new_name)
        text = replace_spans(text, spans)
        fetched = _insert_fetch(text, task, new_name, local)
        if fetched is None:
            return text
        return add_import(fetched, f"from stargazer.types import {asset}", asset)

    return apply


def keyword_fix(
    task: str,
    index: int,
    keyword: str,
    expression: str,
    asset_names: set[str],
    import_statement: tuple[str, str] | None = None,
) -> FixFunction:
    """Add `keyword=expression` to the `index`-th asset `create` call of `task`.

    A keyword given as a literal string is replaced; any other value is left alone.
    `import_statement` is (statement, name it binds), added when the expression needs it.
    """

    def apply(text: str) -> str:
        tree = _parse(text)
        node = find_function(tree, task) if tree else None
        calls = asset_calls(node, asset_names) if node else []
        if index >= len(calls):
            return text
        call = calls[index]
        existing = next((k for k in call.keywords if k.arg == keyword), None)
        if existing is not None:
            value = existing.value
            literal = isinstance(value, ast.Constant) and isinstance(value.value, str)
            empty = isinstance(value, ast.List) and not value.elts
            if not (literal or empty):
                return text
            span = Span(
                value.lineno,
                value.col_offset,
                value.end_lineno or value.lineno,
                value.end_col_offset or 0,
                expression,
            )
        else:
            given: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
            if given:
                last = max(given, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
                line, col = last.end_lineno or 0, last.end_col_offset or 0
                insert = f", {keyword}={expression}"
            else:
                line, col = call.end_lineno or 0, (call.end_col_offset or 1) - 1
                insert = f"{keyword}={expression}"
            span = Span(line, col, line, col, insert)
        text = replace_spans(text, [span])
        if import_statement is not None:
            text = add_import(text, *import_statement)
        return text

    return apply


def export_fix(task: str, module: str) -> FixFunction:
    """Import `task` from `module` in a package `__init__.py` and list it in `__all__`."""

    def apply(text: str) -> str:
        tree = _parse(text)
        if tree is None:
            return text
        listed = None
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                and isinstance(node.value, ast.List | ast.Tuple)
            ):
                listed = node.value
        if listed is not None:
            names = [
                e.value
                for e in listed.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            if task not in names:
                items = "".join(f'    "{name}",\n' for name in sorted({*names, task}))
                text = replace_spans(
                    text,
                    [
                        Span(
                            listed.lineno,
                            listed.col_offset,
                            listed.end_lineno or listed.lineno,
                            listed.end_col_offset or 0,
                            f"[\n{items}]",
                        )
                    ],
                )
        else:
            text = text.rstrip("\n") + f'\n\n__all__ = ["{task}"]\n'
        return add_import(text, f"from {module} import {task}", task)

    return apply
