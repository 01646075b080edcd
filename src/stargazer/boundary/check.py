"""Run the rules over source text, files and folders."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from stargazer.boundary.files import (
    is_notebook_path,
    is_test_path,
    iter_python_files,
    sdk_module,
    workspace_root,
)
from stargazer.boundary.finding import Finding
from stargazer.boundary.import_rules import layer_findings, notebook_findings
from stargazer.boundary.sdk_rules import sdk_findings

#: Which rules a check runs: "sdk" (files outside notebooks/), "notebooks", or "all".
CHECKS = ("all", "sdk", "notebooks")


def check_source(
    source: str,
    path: str,
    *,
    notebook: bool = False,
    in_tests: bool = False,
    module: str | None = None,
) -> list[Finding]:
    """Check one file's text.

    Args:
        source: The file's Python source.
        path: The name findings are reported under.
        notebook: Apply the notebook rules (SG010, SG011) instead of the SDK rules.
        in_tests: The file is under `tests/` (marimo may load notebooks there).
        module: The file's dotted name when it is part of the SDK (`stargazer.types.base`):
            its imports are checked against the layers too (SG020, SG021).

    Returns:
        The findings, sorted by position. A file that does not parse is one finding (SG000).
    """
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        return [
            Finding(
                path,
                err.lineno or 1,
                err.offset or 1,
                "SG000",
                f"cannot check the boundary: the file does not parse ({err.msg}); fix the syntax",
            )
        ]
    if notebook:
        return sorted(set(notebook_findings(tree, path)))
    found = set(sdk_findings(tree, path, in_tests))
    if module is not None:
        found.update(layer_findings(tree, path, module))
    return sorted(found)


def check_paths(
    paths: Iterable[Path], root: Path | None = None, check: str = "all"
) -> tuple[list[Finding], int]:
    """Check files and folders against the boundary rule.

    Args:
        paths: Files or folders; folders are walked for `.py` files.
        root: The workspace root that `notebooks/`, `tests/` and `src/stargazer/` are relative
            to; by default the nearest folder above the first path holding `pyproject.toml`
            or `.git`.
        check: "sdk" checks only files outside `notebooks/`, "notebooks" only files inside
            it, "all" both.

    Returns:
        The findings and the number of files checked.

    Raises:
        ValueError: `check` is not one of `CHECKS`.
        FileNotFoundError: A path does not exist.
    """
    if check not in CHECKS:
        raise ValueError(f"unknown check {check!r}: use one of {', '.join(CHECKS)}")
    paths = list(paths)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder to check")
    root = root or workspace_root(paths[0] if paths else Path.cwd())
    findings: list[Finding] = []
    checked = 0
    for path in iter_python_files(paths):
        notebook = is_notebook_path(path, root)
        if (check == "sdk" and notebook) or (check == "notebooks" and not notebook):
            continue
        checked += 1
        findings += check_source(
            path.read_text(encoding="utf-8", errors="replace"),
            str(path),
            notebook=notebook,
            in_tests=is_test_path(path, root),
            module=sdk_module(path, root),
        )
    return findings, checked
