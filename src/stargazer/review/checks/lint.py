"""ruff (check and format) and the boundary rule are clean on the changed files."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

from stargazer.boundary import check_source, is_notebook_path, is_test_path, sdk_module
from stargazer.review.checks.context import Context
from stargazer.review.findings import Comment, Fix, FixFunction
from stargazer.review.patches import tidy

WHY_RUFF = (
    "The project's ruff rules (pyproject.toml) hold on every file; `make lint` fails otherwise."
)
WHY_FORMAT = "Every file is `ruff format`ted, so diffs show changes, not layout."
WHY_BOUNDARY = (
    "The boundary rule: nothing outside notebooks/ uses a notebook, notebooks import only "
    "the public SDK, and the SDK's packages import down their layers only (see "
    "`stargazer check-boundary`)."
)


def _ruff() -> list[str] | None:
    """How to run ruff: the one installed with this Python, else the one on PATH."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    return [found] if found else None


def _ruff_fix(ruff: list[str], root: Path, path: str, code: str) -> FixFunction:
    """Ruff's own safe fix for `code`, run on whatever text it is given (so fixes compose)."""

    def apply(text: str) -> str:
        fixed = subprocess.run(
            [*ruff, "check", "--fix", "--exit-zero", "--select", code, "--stdin-filename", path,
             "-"],
            input=text,
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        return fixed.stdout if fixed.returncode == 0 and fixed.stdout else text

    return apply


def _ruff_comments(context: Context, ruff: list[str], files: list[str]) -> list[Comment]:
    result = subprocess.run(
        [*ruff, "check", "--output-format", "json", "--no-fix", "--force-exclude", *files],
        cwd=context.root,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return [Comment(files[0], 1, "ruff", f"ruff failed: {result.stderr.strip()}", WHY_RUFF)]
    comments = []
    root = str(context.root)
    for finding in findings:
        path = finding["filename"]
        path = path[len(root) + 1 :] if path.startswith(root + "/") else path
        line = finding["location"]["row"]
        changed = context.changes.lines.get(path, set())
        if line not in changed and path not in context.changes.untracked:
            continue  # present before this branch
        fix = finding.get("fix")
        comment_fix = None
        if fix and fix.get("edits") and fix.get("applicability") == "safe":
            comment_fix = Fix(path, _ruff_fix(ruff, context.root, path, finding["code"]))
        comments.append(
            Comment(
                path,
                line,
                "ruff",
                f"ruff {finding['code']}: {finding['message']}",
                WHY_RUFF,
                fix=comment_fix,
            )
        )
    return comments


def _format_comments(context: Context, ruff: list[str], files: list[str]) -> list[Comment]:
    comments = []
    for path in files:
        text = (context.root / path).read_text(encoding="utf-8", errors="replace")
        formatted = subprocess.run(
            [*ruff, "format", "--stdin-filename", path, "-"],
            input=text,
            cwd=context.root,
            capture_output=True,
            text=True,
            check=False,
        )
        if formatted.returncode != 0 or formatted.stdout == text:
            continue
        old, new = text.splitlines(), formatted.stdout.splitlines()
        line = next((i + 1 for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), 1)
        comments.append(
            Comment(
                path,
                line,
                "ruff",
                "not formatted: run `ruff format` (the suggested patch is its output).",
                WHY_FORMAT,
                fix=Fix(path, partial(tidy, path=path, root=context.root)),
            )
        )
    return comments


def check(context: Context) -> list[Comment]:
    """Findings of ruff check, ruff format and check-boundary on the changed Python files."""
    files = [p for p in context.sources if (context.root / p).is_file()]
    if not files:
        return []
    comments: list[Comment] = []
    ruff = _ruff()
    if ruff is None:
        comments.append(
            Comment(files[0], 1, "ruff", "ruff is not installed: run `make install`.", WHY_RUFF)
        )
    else:
        comments += _ruff_comments(context, ruff, files)
        comments += _format_comments(context, ruff, files)
    for path in files:
        source = context.sources[path]
        absolute = context.root / path
        notebook = is_notebook_path(absolute, context.root)
        for finding in check_source(
            source.text,
            path,
            notebook=notebook,
            in_tests=is_test_path(absolute, context.root),
            module=sdk_module(absolute, context.root),
        ):
            comments.append(
                Comment(
                    path,
                    finding.line,
                    "boundary",
                    f"{finding.code} {finding.message}",
                    WHY_BOUNDARY,
                )
            )
    return comments
