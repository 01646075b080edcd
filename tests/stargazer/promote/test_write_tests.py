"""The test promote-task writes builds tiny assets with stargazer.testing, and it runs."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import flyte
import pytest

from stargazer.import_bindings import ImportSpec
from stargazer.promote import ASSET_TYPES, generate_test, render_imports
from stargazer.testing import ASSET_BUILDERS
from stargazer.types import Alignment, AnnData, Reads, Reference, Table, Variants

env = flyte.TaskEnvironment(name="write_tests_check")


@env.task
async def count_inputs(
    reference: Reference,
    reads: list[Reads],
    alignment: Alignment,
    variants: dict[str, Variants],
    adata: AnnData | None,
    table: Table,
    threads: int,
) -> int:
    """How many asset files the task was given (one per input, each with a real file)."""
    assets = [reference, *reads, alignment, *variants.values(), adata, table]
    return sum(1 for asset in assets if asset is not None and asset.path.is_file())


NOTEBOOK_IMPORTS = {name: ImportSpec("stargazer.types", name) for name in ASSET_TYPES}


def _generated():
    node = ast.parse(textwrap.dedent(inspect.getsource(count_inputs.func))).body[0]
    assert isinstance(node, ast.AsyncFunctionDef)
    return generate_test(node, "stargazer.tasks", NOTEBOOK_IMPORTS)


def test_every_asset_type_has_a_builder():
    assert set(ASSET_TYPES) == set(ASSET_BUILDERS)


def test_asset_inputs_are_built_by_the_testing_builders():
    test = _generated()
    assert test.runs and not test.missing
    assert "reference = reference_asset(workspace, 'reference')" in test.source
    assert "alignment = alignment_asset(workspace, 'alignment')" in test.source
    assert "adata = anndata_asset(workspace, 'adata')" in test.source
    assert "reads=[reads]" in test.source and "variants={'a': variants}" in test.source
    assert "threads=1" in test.source
    imported = {(spec.module, spec.member) for spec in test.imports}
    builders = {("stargazer.testing", fn.__name__) for fn in ASSET_BUILDERS.values()}
    assert builders <= imported
    assert not any(spec.module in ("asyncio", "gzip", "pysam") for spec in test.imports)


def test_the_generated_test_runs_and_passes(workspace: Path):
    test = _generated()
    namespace: dict[str, object] = {}
    imports = [spec for spec in test.imports if spec.module != "stargazer.tasks"]
    exec("\n".join(render_imports(imports)), namespace)
    namespace["count_inputs"] = count_inputs
    exec(test.source, namespace)
    generated = namespace[test.name]
    assert callable(generated)
    generated(workspace)  # raises AssertionError if the task's output had the wrong type


def test_an_input_it_cannot_build_gives_a_strict_xfail_naming_it(workspace: Path):
    source = "@env.task\nasync def f(frame: pd.DataFrame, n: int) -> int:\n    return n\n"
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.AsyncFunctionDef)
    test = generate_test(node, "stargazer.tasks", {"pd": ImportSpec("pandas", asname="pd")})
    assert not test.runs and test.missing == ["frame: pd.DataFrame"]
    assert "@pytest.mark.xfail(strict=True, raises=NotImplementedError" in test.source
    namespace: dict[str, object] = {"flyte": flyte, "pytest": pytest, "f": None}
    exec(test.source, namespace)
    generated = namespace[test.name]
    assert callable(generated)
    with pytest.raises(NotImplementedError, match=r"no test inputs for frame: pd\.DataFrame"):
        generated(workspace)
