"""Which definitions a promotion moves: the task NAME names, and the `--with` helpers."""

from __future__ import annotations

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
