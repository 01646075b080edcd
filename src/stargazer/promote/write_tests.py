"""Stage 5, writing the test: one that runs the promoted task through `flyte.run`.

Inputs are built from the task's type hints: scalars, `str`, lists and dicts of them, and
tiny asset files made by the `stargazer.testing` builders (`reference_asset(workspace, ...)`
for a `Reference`, and so on), so the generated test reads like one written by hand. Where an
input cannot be built, the test is marked xfail(strict) with a TODO.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from stargazer.import_bindings import ImportSpec
from stargazer.promote.syntax import BUILTINS, FunctionNode

#: The asset types a generated test knows how to build tiny inputs for (with the builder of
#: the same type in `stargazer.testing.ASSET_BUILDERS`, e.g. `reference_asset`).
ASSET_TYPES = ("Alignment", "AnnData", "Reads", "Reference", "Table", "Variants")


def asset_builder(asset: str) -> str:
    """The `stargazer.testing` function that builds a tiny asset of type `asset`."""
    from stargazer.testing import ASSET_BUILDERS

    return ASSET_BUILDERS[asset].__name__


@dataclass(frozen=True)
class _Param:
    name: str
    annotation: ast.expr | None


def _required_params(node: FunctionNode) -> list[_Param]:
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
        builder = asset_builder(asset)
        out.imports.append(ImportSpec("stargazer.testing", builder))
        return [f"{param.name} = {builder}(workspace, {param.name!r})"], param.name
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
    if isinstance(annotation, ast.Name) and annotation.id in BUILTINS:
        return f"assert isinstance({expression}, {annotation.id})"
    if isinstance(annotation, ast.Name | ast.Attribute):
        root_name: ast.expr = annotation
        while isinstance(root_name, ast.Attribute):
            root_name = root_name.value
        if isinstance(root_name, ast.Name) and root_name.id in imports:
            out.imports.append(imports[root_name.id])
            return f"assert isinstance({expression}, {ast.unparse(annotation)})"
    return f"assert {expression} is not None"


def generate_test(
    task: FunctionNode, package: str, imports: dict[str, ImportSpec]
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
