"""Stage 2, selection: the definitions a promotion moves, and where they go.

What moves: the task NAME names and the `--with` helpers. Where: the workspace root (the
folder holding `src/stargazer`) and the target module under it, never outside it and never
shadowing a name its package already exports.
"""

from __future__ import annotations

import os
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.promote.notebook import Candidate, Notebook
from stargazer.promote.syntax import FunctionNode


def select_task(notebook: Notebook, name: str) -> Candidate:
    """The task NAME refers to in the notebook.

    Raises:
        PromotionError: NAME is missing, ambiguous, or not decorated as a task.
    """
    task = notebook.find(name)
    if not task.is_task or not isinstance(task.node, FunctionNode):
        raise PromotionError(
            f"{notebook.where(task.node.lineno)}: `{name}` is not a task (it has no "
            "`@<env>.task` decorator); decorate it with a task environment, e.g. `@gatk_env.task` "
            "from stargazer.config, or bring it along as a helper with --with"
        )
    return task


def select_helpers(notebook: Notebook, names: tuple[str, ...], task: Candidate) -> list[Candidate]:
    """The helper functions or classes named with `--with`, in the order given.

    Raises:
        PromotionError: A helper is missing, defined more than once, or is the task itself.
    """
    helpers: list[Candidate] = []
    for name in names:
        matches = [c for c in notebook.candidates if c.name == name]
        if not matches:
            available = ", ".join(sorted({c.name for c in notebook.candidates})) or "none"
            raise PromotionError(
                f"{notebook.path}: --with {name}: no function or class `{name}` in the notebook "
                f"(its functions: {available})"
            )
        if len(matches) > 1:
            raise PromotionError(
                f"{notebook.path}: --with {name} is ambiguous; it is defined at "
                + ", ".join(notebook.where(c.node.lineno) for c in matches)
            )
        if matches[0].node is task.node:
            raise PromotionError(f"--with {name}: that is the task being promoted")
        helpers.append(matches[0])
    return helpers


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
    inside = Path(os.path.realpath(root)) / "src" / "stargazer" / parts[0]
    resolved = Path(os.path.realpath(path))
    if not resolved.is_relative_to(inside):
        raise PromotionError(
            f"--to {to}: {path} resolves to {resolved}, outside {inside} (a symlink on the "
            "way); promote into a real folder under src/stargazer/"
            f"{parts[0]}/, or replace the link with a folder"
        )
    module = "stargazer." + ".".join(relative.with_suffix("").parts)
    return path, module, f"stargazer.{parts[0]}"


def check_inside(root: Path, paths: list[Path]) -> None:
    """Refuse to write any path whose resolved location leaves the workspace.

    Raises:
        PromotionError: A path (or a symlinked folder on its way) points outside `root`.
    """
    real_root = Path(os.path.realpath(root))
    for path in paths:
        resolved = Path(os.path.realpath(path))
        if not resolved.is_relative_to(real_root):
            raise PromotionError(
                f"{path} resolves to {resolved}, outside the workspace {real_root} (a symlink "
                "on the way); replace the link with a real file or folder, then promote again"
            )


def check_shadowing(root: Path, to: str, task: str, init_text: str) -> None:
    """Refuse a task or module name that would hide an existing module or exported name.

    A task exported as `stargazer.tasks.general` would replace the subpackage `general` as an
    attribute of `stargazer.tasks` (breaking `import stargazer.tasks.general.bwa`); a new
    module `tasks/align.py` would replace the exported task `align` the moment it is imported;
    `tasks/general.py` can never be imported while the package `tasks/general/` exists.

    Args:
        root: The workspace root.
        to: The target module, relative to `src/stargazer/`.
        task: The name the task is exported under.
        init_text: The package's `__init__.py` as it is now.

    Raises:
        PromotionError: The name is taken; the message names what it would shadow.
    """
    import ast

    from stargazer.promote.syntax import top_level_bindings

    parts = Path(to).with_suffix("").parts
    package_dir = root / "src" / "stargazer" / parts[0]
    children = {
        child.stem: child
        for child in package_dir.iterdir()
        if (child.suffix == ".py" and child.name != "__init__.py")
        or (child.is_dir() and (child / "__init__.py").exists())
    }
    child = parts[1]
    if len(parts) == 2 and child in children and children[child].is_dir():
        raise PromotionError(
            f"--to {to}: src/stargazer/{parts[0]}/{child}/ is a package, so a module "
            f"{parts[0]}/{child}.py could never be imported; promote into "
            f"{parts[0]}/{child}/<module>.py or pick another name"
        )
    if task in {*children, child}:
        shadowed = children.get(task, package_dir / f"{child}.py")
        raise PromotionError(
            f"`{task}` would be exported from stargazer.{parts[0]} under the name of the "
            f"module {shadowed.relative_to(root).as_posix()}, hiding it (`import "
            f"stargazer.{parts[0]}.{task}...` would break); rename the task in the notebook, "
            "then promote again"
        )
    bound = top_level_bindings(ast.parse(init_text))
    if child not in children and child in bound:
        raise PromotionError(
            f"--to {to}: stargazer.{parts[0]} already exports `{child}`; a module of that name "
            "would replace it when imported; pick another module name"
        )
