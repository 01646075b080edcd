"""The task's test is real (no xfail, no TODO), passes, and covers at least 80% of the module.

The tests of the changed task modules run once, in a child process under coverage.py, with
the workspace's `src/` first on the path so the branch's code is what runs.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import tokenize
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from stargazer.review.checks.context import Context
from stargazer.review.findings import Comment
from stargazer.review.source import SourceFile

#: Line coverage a changed task module needs from its tests, in percent.
MIN_COVERAGE = 80.0

WHY_REAL = (
    "A promoted task is only as good as its test: the generated one runs the task but cannot "
    "know tiny inputs for every type or the right answer. Build inputs with `workspace` (and the "
    "`stargazer.testing` builders), run the task, and check the values it returns."
)
WHY_PASS = "The test of a task must pass: the branch cannot merge with a failing test."
WHY_COVERAGE = (
    f"At least {MIN_COVERAGE:.0f}% of a task module's lines must run under its tests "
    "(coverage.py): lines no test runs are code nobody has seen work."
)


def test_path(source: SourceFile) -> str:
    """Where `tests/` mirrors a module: `tests/stargazer/<pkg>/.../test_<module>.py`."""
    parts = Path(source.path).parts[1:]  # stargazer, tasks, ..., x.py
    return Path("tests", *parts[:-1], f"test_{Path(parts[-1]).stem}.py").as_posix()


def _is_marker(node: ast.expr, names: tuple[str, ...]) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Attribute) and node.attr in names


def _todo_lines(text: str) -> list[int]:
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and "TODO" in token.string:
                found.append(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        return found
    return found


def _not_real(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[str], int]:
    """What keeps a test function from being real (skip/xfail, NotImplementedError), and where."""
    problems: list[str] = []
    line = node.lineno
    for decorator in node.decorator_list:
        if _is_marker(decorator, ("xfail", "skip")):  # skipif is a condition: allowed
            name = decorator.func if isinstance(decorator, ast.Call) else decorator
            problems.append(f"is marked `{ast.unparse(name)}`")
            line = decorator.lineno
    for inner in (n for statement in node.body for n in ast.walk(statement)):
        if isinstance(inner, ast.Call) and _is_marker(inner, ("xfail",)):
            problems.append(f"calls `{ast.unparse(inner.func)}`")
        if isinstance(inner, ast.Raise) and inner.exc is not None:
            raised = inner.exc.func if isinstance(inner.exc, ast.Call) else inner.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                problems.append(f"raises NotImplementedError (line {inner.lineno})")
    return problems, line


def _marker_comments(context: Context, path: str) -> list[Comment]:
    text = (context.root / path).read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []  # ruff reports it
    changed = context.changes.lines.get(path, set())
    todos = [line for line in _todo_lines(text) if line in changed]
    comments = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        last = node.end_lineno or node.lineno
        if not context.changes.touched(path, first, last):
            continue
        problems, line = _not_real(node)
        inside = [t for t in todos if first <= t <= last]
        if inside:
            problems.append("has a TODO (line " + ", ".join(map(str, inside)) + ")")
            todos = [t for t in todos if t not in inside]
        if problems:
            comments.append(
                Comment(
                    path,
                    line,
                    "tests",
                    f"`{node.name}` " + ", ".join(problems) + ": make it a real test.",
                    WHY_REAL,
                )
            )
    for line in todos:
        comments.append(Comment(path, line, "tests", "a TODO is left in the test file.", WHY_REAL))
    return comments


def _ranges(lines: list[int]) -> str:
    spans: list[tuple[int, int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], line)
        else:
            spans.append((line, line))
    shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:8]]
    return ", ".join(shown) + (", ..." if len(spans) > 8 else "")


def _function_line(root: Path, tests: list[str], name: str) -> tuple[str, int] | None:
    base = name.split("[", 1)[0]
    for path in tests:
        try:
            tree = ast.parse((root / path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == base:
                return path, node.lineno
    return None


def _coverage_comments(
    root: Path, modules: list[SourceFile], files: dict[str, Any]
) -> tuple[list[Comment], list[str]]:
    """Comments on modules under `MIN_COVERAGE`, and each module's figure (`x.py 93%`)."""
    comments = []
    figures = []
    for module in modules:
        measured = files.get(str(root / module.path)) or files.get(module.path)
        if measured is None:
            percent, missing = 0.0, []
        else:
            percent = float(measured["summary"]["percent_covered"])
            missing = list(measured.get("missing_lines", []))
        figures.append(f"{Path(module.path).name} {percent:.0f}%")
        if percent < MIN_COVERAGE:
            detail = f": lines {_ranges(missing)} never run" if missing else ""
            comments.append(
                Comment(
                    module.path,
                    missing[0] if missing else 1,
                    "coverage",
                    f"its tests cover {percent:.0f}% of `{module.module}` (at least "
                    f"{MIN_COVERAGE:.0f}% needed){detail}.",
                    WHY_COVERAGE,
                )
            )
    return comments, figures


def _run(context: Context, modules: list[SourceFile], tests: list[str]) -> list[Comment]:
    root = context.root
    for needed in ("coverage", "pytest"):
        if importlib.util.find_spec(needed) is None:
            return [
                Comment(
                    tests[0],
                    1,
                    "tests",
                    f"cannot run the tests: {needed} is not installed (run `make install`).",
                    WHY_PASS,
                )
            ]
    include = ",".join(str(root / m.path) for m in modules)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(root / "src"), str(root), *filter(None, [env.get("PYTHONPATH")])]
    )
    comments: list[Comment] = []
    with tempfile.TemporaryDirectory(prefix="stargazer-review-") as scratch:
        data = f"--data-file={scratch}/coverage"
        junit = Path(scratch) / "junit.xml"
        command = [sys.executable, "-m", "coverage", "run", data, f"--include={include}"]
        command += ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        if importlib.util.find_spec("xdist") is not None:
            command += ["-p", "xdist", "-n", "0"]
        ran = subprocess.run(
            [*command, *tests], cwd=root, env=env, capture_output=True, text=True, check=False
        )
        outcome = _junit(root, tests, junit)
        if ran.returncode not in (0, 1) or outcome is None:
            tail = "\n".join((ran.stdout + ran.stderr).strip().splitlines()[-6:])
            return [
                Comment(
                    tests[0],
                    1,
                    "tests",
                    f"pytest could not run the tests (exit {ran.returncode}):\n```\n{tail}\n```",
                    WHY_PASS,
                )
            ]
        (passed, skipped), failures = outcome
        comments += failures
        report = Path(scratch) / "coverage.json"
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", data, "-o", str(report), "-q"],
            cwd=root,
            env=env,
            capture_output=True,
            check=False,
        )
        files = json.loads(report.read_text())["files"] if report.exists() else {}
    missed, figures = _coverage_comments(root, modules, files)
    comments += missed
    context.notes["tests"] = f"{passed} passed, {len(failures)} failed, {skipped} xfailed/skipped"
    context.notes["coverage"] = ", ".join(figures)
    return comments


def _junit(
    root: Path, tests: list[str], junit: Path
) -> tuple[tuple[int, int], list[Comment]] | None:
    if not junit.exists():
        return None
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    passed = skipped = 0
    failures = []
    total = 0
    for case in cases:
        total += 1
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            if case.find("skipped") is None:
                passed += 1
            else:
                skipped += 1
            continue
        name = case.get("name", "")
        where = _function_line(root, tests, name) or (tests[0], 1)
        message = (problem.get("message") or "").strip().splitlines()
        first = message[0][:300] if message else "failed"
        failures.append(Comment(where[0], where[1], "tests", f"`{name}` fails: {first}", WHY_PASS))
    if total == 0:
        return None
    return (passed, skipped), failures


def check(context: Context) -> list[Comment]:
    """Comments on tests that are not real yet, fail, or leave the module under-covered."""
    comments: list[Comment] = []
    modules = context.task_modules()
    tests: list[str] = []
    for module in modules:
        path = test_path(module)
        if (context.root / path).is_file():
            tests.append(path)
        else:
            comments.append(
                Comment(
                    module.path,
                    1,
                    "tests",
                    f"`{module.module}` has no test: write `{path}` (promote-task generates one).",
                    WHY_REAL,
                )
            )
    for path in sorted({*tests, *(p for p in context.sources if p.startswith("tests/"))}):
        if Path(path).name.startswith("test_"):
            comments += _marker_comments(context, path)
    if not modules:
        context.notes["tests"] = context.notes["coverage"] = "no changed task modules"
        return comments
    if not context.run_tests:
        context.notes["tests"] = context.notes["coverage"] = "not run (--no-tests)"
        return comments
    if tests:
        comments += _run(context, [m for m in modules if test_path(m) in tests], tests)
    return comments
