"""Sort imports and format what promotion writes with ruff, under the project's own config."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

from stargazer.errors import PromotionError


def _ruff() -> list[str] | None:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    return [found] if found else None


def ruff_tidy(text: str, path: Path, root: Path, format_code: bool = True) -> str:
    """Sort imports (ruff's isort rules) and format the text as `path` under `root`'s config.

    Args:
        text: Python source.
        path: The file the text is for (selects the project's ruff settings).
        root: The workspace root ruff runs in.
        format_code: Also run `ruff format`; without it only the imports are sorted.

    Returns:
        The tidied text; without ruff installed, the text as it was.
    """
    ruff = _ruff()
    if ruff is None:
        return text
    steps = [
        [*ruff, "check", "--fix", "--select", "I", "--exit-zero", "--stdin-filename", str(path)]
    ]
    if format_code:
        steps.append([*ruff, "format", "--stdin-filename", str(path)])
    for command in steps:
        result = subprocess.run(
            [*command, "-"], input=text, capture_output=True, text=True, cwd=root, check=False
        )
        if result.returncode != 0:
            raise PromotionError(
                f"{path}: ruff could not process the promoted code:\n{result.stderr.strip()}"
            )
        text = result.stdout
    return text


def ruff_findings(text: str, path: Path, root: Path) -> list[str]:
    """What `ruff check` (with the project's config) still reports on the text."""
    ruff = _ruff()
    if ruff is None:
        return ["ruff is not installed: run `ruff check` on the promoted module"]
    result = subprocess.run(
        [*ruff, "check", "--output-format", "concise", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if re.match(r"^\S+:\d+:\d+: ", line)]


def must_parse(text: str, path: Path) -> None:
    """Refuse generated text that does not parse, before anything is written."""
    try:
        ast.parse(text, filename=str(path))
    except SyntaxError as err:
        raise PromotionError(
            f"{path}:{err.lineno}: promote-task produced code that does not parse ({err.msg}); "
            "nothing was written. Please report this with the notebook."
        ) from err
