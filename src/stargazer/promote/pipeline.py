"""`promote` runs the stages: recover, plan, check git, journal, apply, commit.

`abort` rolls back or finishes an interrupted promotion (`promote-task --abort`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.promote import journal
from stargazer.promote.apply import apply_plan
from stargazer.promote.commit import GitOutcome, check_git, commit_plan
from stargazer.promote.plan import PromotionPlan, plan_promotion
from stargazer.promote.request import PromoteRequest
from stargazer.promote.selection import find_root


@dataclass(frozen=True)
class Outcome:
    """The result of `promote`: the plan, and what git did (None with --no-git/--dry-run)."""

    plan: PromotionPlan
    git: GitOutcome | None
    applied: bool
    recovered: str | None = None


def promote(
    request: PromoteRequest, *, root: Path | None = None, git: bool = True, dry_run: bool = False
) -> Outcome:
    """Promote a notebook task into the SDK: plan, check, write, and commit.

    An earlier promotion that was interrupted (its journal is still there) is first rolled
    back or finished; `Outcome.recovered` says which.

    Args:
        request: What to promote and where.
        root: The workspace root; by default found above the notebook.
        git: Make the `promote/NAME` branch and commit (and open a PR when possible).
        dry_run: Only plan; nothing is written (use `Outcome.plan.diff()`).

    Returns:
        What was (or would be) done.

    Raises:
        PromotionError: Refused or failed; the working tree is exactly as it was.
    """
    if root is None:
        if not request.notebook.is_file():
            raise PromotionError(f"{request.notebook}: no such notebook; give NOTEBOOK::NAME")
        root = find_root(request.notebook.parent, Path.cwd())
    root = root.resolve()
    if dry_run:
        if journal.read(root) is not None:
            raise PromotionError(
                f"an interrupted promotion left {root / journal.JOURNAL}; run "
                "`stargazer promote-task --abort` (or promote without --dry-run) first"
            )
        return Outcome(plan_promotion(request, root), None, applied=False)
    recovered = journal.recover(root)
    plan = plan_promotion(request, root)
    start = check_git(plan) if git else ""
    entry = journal.journal_for(plan, git=git, start=start)
    journal.begin(root, entry)
    try:
        apply_plan(plan)
    except OSError as err:
        journal.rollback(root, entry)
        raise PromotionError(f"could not write the promotion ({err}); nothing was changed") from err
    except BaseException:
        journal.rollback(root, entry)
        raise
    if not git:
        journal.end(root)
        return Outcome(plan, None, applied=True, recovered=recovered)
    outcome = commit_plan(plan, start, entry)
    return Outcome(plan, outcome, applied=True, recovered=recovered)


def abort(root: Path | None = None) -> str | None:
    """Roll back or finish an interrupted promotion (`promote-task --abort`).

    Args:
        root: The workspace root; by default found above the current directory.

    Returns:
        What was done, or None when no promotion was interrupted.
    """
    return journal.recover((root or find_root(Path.cwd())).resolve())
