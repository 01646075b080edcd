"""Promote a task from a marimo notebook into the SDK: the engine of `stargazer promote-task`.

A marimo notebook is a Python file, so promotion reads it with `ast` and never runs it. The
modules here are the stages, in order:

1. `request` — `NOTEBOOK::NAME --to MODULE`, parsed (`PromoteRequest`, `parse_spec`);
2. `selection` — what moves (the task: a top-level `@app.function`, a named `@app.cell`, or a
   function in a cell; `--with` helpers) and where to (the workspace root, the target module);
   `notebook` and `syntax` are the `ast` readers it uses;
3. `resolve` — every free name the definitions use, resolved to an import from the notebook's
   `with app.setup:` block or its cells, a builtin, or the target module; names that only
   exist in the notebook are refused, each with where it is;
4. `plan` — `plan_promotion` computes every file's new text in memory (`PromotionPlan`);
5. the rewriters it calls: `rewrite_module` (definitions, imports, the package export),
   `rewrite_notebook` (the notebook imports the task from the SDK), `write_tests` (a test
   that runs the task through `flyte.run` on tiny `stargazer.testing` inputs), `tidy` (ruff);
6. `apply` — `apply_plan` writes all the files or none, under the crash-safe `journal`;
7. `commit` — `commit_plan` puts them on a `promote/NAME` branch and opens a PR if it can.

`pipeline.promote` runs them all; this package only re-exports the public names.

    >>> from pathlib import Path
    >>> request = PromoteRequest(Path("notebooks/scratch/x.py"), "coverage", "tasks/coverage.py")
    >>> request.branch
    'promote/coverage'
"""

from stargazer.import_bindings import ImportSpec
from stargazer.promote.apply import apply_plan, restore
from stargazer.promote.commit import GitOutcome, check_git, commit_plan, pr_body
from stargazer.promote.journal import JOURNAL, recover
from stargazer.promote.notebook import Binding, Candidate, Notebook
from stargazer.promote.pipeline import Outcome, abort, promote
from stargazer.promote.plan import FileChange, PromotionPlan, plan_promotion
from stargazer.promote.request import PromoteRequest, parse_spec
from stargazer.promote.resolve import Resolution, free_names
from stargazer.promote.rewrite_module import (
    add_imports,
    place_definitions,
    render_imports,
    update_all,
)
from stargazer.promote.rewrite_notebook import rewrite_notebook
from stargazer.promote.selection import PACKAGES, find_root
from stargazer.promote.tidy import ruff_findings, ruff_tidy
from stargazer.promote.write_tests import ASSET_TYPES, GeneratedTest, generate_test

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
