"""Which files are checked, and where they sit: notebooks, tests, the SDK package."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

#: Folders never walked when a directory is checked.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "__pycache__",
        "__marimo__",
        "node_modules",
        "build",
        "dist",
        ".ruff_cache",
        ".pytest_cache",
        ".stargazer",
        ".flyte",
    }
)


def refers_to_notebooks(text: str) -> bool:
    """Whether a string names the notebooks package or a path inside `notebooks/`.

    Args:
        text: A module name (`notebooks.scratch.x`) or a path (`../notebooks/x.py`).
    """
    if text == "notebooks" or text.startswith("notebooks."):
        return True
    parts = text.replace("\\", "/").split("/")
    return "notebooks" in parts


def is_notebook_path(path: Path, root: Path) -> bool:
    """Whether `path` lies under the workspace's top-level `notebooks/` folder."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return "notebooks" in path.parts
    return bool(relative.parts) and relative.parts[0] == "notebooks"


def is_test_path(path: Path, root: Path) -> bool:
    """Whether `path` lies under the workspace's top-level `tests/` folder."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return bool(relative.parts) and relative.parts[0] == "tests"


def workspace_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `pyproject.toml` or `.git`, else cwd."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").exists() or (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


def iter_python_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every `.py` file in `paths` (files as given; folders walked, skipping tool folders)."""
    for path in paths:
        if path.is_file():
            if path.suffix == ".py":
                yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(".py"):
                    yield Path(folder) / name


def sdk_module(path: Path, root: Path) -> str | None:
    """The dotted module of a file under `src/stargazer` (`stargazer.types.base`), else None."""
    try:
        parts = path.resolve().relative_to(root.resolve()).with_suffix("").parts
    except ValueError:
        return None
    if len(parts) < 2 or parts[:2] != ("src", "stargazer"):
        return None
    names = list(parts[1:])
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names)
