"""Where promotion writes: the workspace root and the target module under src/stargazer."""

from __future__ import annotations

from pathlib import Path

from stargazer.errors import PromotionError

#: Packages under src/stargazer that tasks can be promoted into (`--to tasks/x.py`).
PACKAGES = ("tasks", "workflows")


def find_root(*starts: Path) -> Path:
    """The workspace root: the nearest folder above a start that holds `src/stargazer`.

    Raises:
        PromotionError: No such folder.
    """
    for start in starts:
        start = start.resolve()
        for folder in (start, *start.parents):
            if (folder / "src" / "stargazer" / "__init__.py").exists():
                return folder
    raise PromotionError(
        f"no Stargazer checkout (a folder with src/stargazer) above {starts[0]}; run "
        "promote-task inside the repository"
    )


def target_module(root: Path, to: str) -> tuple[Path, str, str]:
    """The target module's path, dotted name and the package it is exported from."""
    relative = Path(to)
    parts = relative.parts
    if relative.is_absolute() or ".." in parts or relative.suffix != ".py":
        raise PromotionError(
            f"--to {to}: give a module path relative to src/stargazer/, e.g. tasks/coverage.py"
        )
    if not parts or parts[0] not in PACKAGES or len(parts) < 2:
        raise PromotionError(
            f"--to {to}: tasks are promoted into {' or '.join(p + '/' for p in PACKAGES)}, "
            "e.g. tasks/coverage.py"
        )
    if relative.name == "__init__.py" or not all(
        p.isidentifier() for p in relative.with_suffix("").parts
    ):
        raise PromotionError(
            f"--to {to}: the module needs an importable name (letters, digits, _), not __init__.py"
        )
    path = root / "src" / "stargazer" / relative
    package_init = root / "src" / "stargazer" / parts[0] / "__init__.py"
    if not package_init.exists():
        raise PromotionError(f"--to {to}: {package_init} is missing; is this a Stargazer checkout?")
    module = "stargazer." + ".".join(relative.with_suffix("").parts)
    return path, module, f"stargazer.{parts[0]}"
