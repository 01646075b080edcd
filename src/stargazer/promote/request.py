"""Stage 1, the request: `stargazer promote-task NOTEBOOK::NAME --to MODULE`, parsed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stargazer.errors import PromotionError


@dataclass(frozen=True)
class PromoteRequest:
    """What `stargazer promote-task NOTEBOOK::NAME --to MODULE` asks for.

    Attributes:
        notebook: The marimo notebook file.
        name: The task: an `@app.function`, a named `@app.cell`, or a function in a cell.
        to: The target module, relative to `src/stargazer/` (`tasks/coverage.py`).
        helpers: Helper functions or classes from the notebook to bring along (`--with`).
        replace: Replace an existing definition of the same name in the target module.
        keep_notebook: Leave the notebook untouched.
    """

    notebook: Path
    name: str
    to: str
    helpers: tuple[str, ...] = ()
    replace: bool = False
    keep_notebook: bool = False

    @property
    def branch(self) -> str:
        """The git branch the promotion is committed on."""
        return f"promote/{self.name}"


def parse_spec(spec: str) -> tuple[Path, str]:
    """Split `NOTEBOOK::NAME`.

    Raises:
        PromotionError: The spec has no `::NAME` part.
    """
    notebook, sep, name = spec.rpartition("::")
    if not sep or not notebook or not name.isidentifier():
        raise PromotionError(
            f"{spec!r} is not NOTEBOOK::NAME; write e.g. notebooks/scratch/x.py::my_task"
        )
    return Path(notebook), name
