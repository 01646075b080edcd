"""Promote a task from a marimo notebook into the SDK: the engine of `stargazer promote-task`.

A marimo notebook is a Python file, so promotion reads it with `ast` and never runs it:

1. find the function: a top-level `@app.function`, a named `@app.cell` (its one task), or a
   function defined inside a cell;
2. copy it with its decorators, signature, type hints and docstring (`@app.function` is
   dropped), plus any helpers named with `--with`;
3. resolve every free name it uses to an import from the notebook's `with app.setup:` block
   or its cells, to a builtin, or to the target module; names that only exist in the
   notebook (a variable or helper from another cell) are refused, each with where it is;
4. write the SDK module (created with a docstring, or appended to), export the task from its
   package (`from stargazer.tasks import NAME`), generate a test that runs it through
   `flyte.run`, and replace the notebook's definition with an import from the SDK.

`plan_promotion` computes every file's new text in memory; `apply_plan` writes them all or
none; `commit_plan` puts them on a `promote/NAME` branch; `promote` does all three. Each
step lives in its own module here; this package only re-exports the public names.

    >>> from pathlib import Path
    >>> request = PromoteRequest(Path("notebooks/scratch/x.py"), "coverage", "tasks/coverage.py")
    >>> request.branch
    'promote/coverage'
"""

from stargazer.import_bindings import ImportSpec
from stargazer.promote.asset_builders import ASSET_TYPES
from stargazer.promote.generated_test import GeneratedTest, generate_test
from stargazer.promote.git import GitOutcome, check_git, commit_plan, pr_body
from stargazer.promote.journal import JOURNAL, recover
from stargazer.promote.module_edits import place_definitions, update_all
from stargazer.promote.module_imports import add_imports, render_imports
from stargazer.promote.names import Resolution, free_names
from stargazer.promote.notebook import Binding, Candidate, Notebook
from stargazer.promote.notebook_rewrite import rewrite_notebook
from stargazer.promote.plan import FileChange, PromoteRequest, PromotionPlan, parse_spec
from stargazer.promote.planning import plan_promotion
from stargazer.promote.promotion import Outcome, abort, promote
from stargazer.promote.targets import PACKAGES, find_root
from stargazer.promote.tidy import ruff_findings, ruff_tidy
from stargazer.promote.transaction import apply_plan, restore

__all__ = [
    "ASSET_TYPES",
    "JOURNAL",
    "PACKAGES",
    "Binding",
    "Candidate",
    "FileChange",
    "GeneratedTest",
    "GitOutcome",
    "ImportSpec",
    "Notebook",
    "Outcome",
    "PromoteRequest",
    "PromotionPlan",
    "Resolution",
    "abort",
    "add_imports",
    "apply_plan",
    "check_git",
    "commit_plan",
    "find_root",
    "free_names",
    "generate_test",
    "parse_spec",
    "place_definitions",
    "plan_promotion",
    "pr_body",
    "promote",
    "recover",
    "render_imports",
    "restore",
    "rewrite_notebook",
    "ruff_findings",
    "ruff_tidy",
    "update_all",
]
