"""`stargazer review`: a branch's changes checked against the project's conventions.

The review step of the promotion pathway (notebook cell -> `promote-task` -> review). It reads
the changes of the current branch against `--base` with git, checks each convention
deterministically and offline, and says at `file:line` what is wrong, why, and (where the fix
is mechanical) a patch:

- a Google docstring with a one-line summary on every task (`checks/docstrings.py`);
- typed asset inputs and outputs, no file paths between tasks (`checks/asset_io.py`);
- created assets record parents, tool and the tool_version that ran (`checks/lineage.py`);
- the module under `tasks/<domain>/`, one per tool, snake_case, exported (`checks/layout.py`);
- a real test that passes, covering >= 80% of the module's lines (`checks/tests.py`);
- ruff and check-boundary clean on the changed files (`checks/lint.py`).

An AI reviewer adds comments when a model key is configured (`ai.py`); `--post` puts the review
on the pull request with `gh` (`post.py`).

    from stargazer.review import render_markdown, review
    print(render_markdown(review(Path.cwd(), base="main")))
"""

from stargazer.review.engine import CONVENTIONS, review
from stargazer.review.findings import AiOutcome, Comment, Fix, Review
from stargazer.review.post import post_review
from stargazer.review.render import render_json, render_markdown

__all__ = [
    "CONVENTIONS",
    "AiOutcome",
    "Comment",
    "Fix",
    "Review",
    "post_review",
    "render_json",
    "render_markdown",
    "review",
]
