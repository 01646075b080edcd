"""`promote`: plan, check git, write all files or none, then commit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.promote.git import GitOutcome, check_git, commit_plan
from stargazer.promote.plan import PromoteRequest, PromotionPlan
from stargazer.promote.planning import plan_promotion
from stargazer.promote.transaction import apply_plan


@dataclass(frozen=True)
class Outcome:
    """The result of `promote`: the plan, and what git did (None with --no-git/--dry-run)."""

    plan: PromotionPlan
    git: GitOutcome | None
    applied: bool


def promote(
    request: PromoteRequest, *, root: Path | None = None, git: bool = True, dry_run: bool = False
) -> Outcome:
    """Promote a notebook task into the SDK: plan, check, write, and commit.

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
    plan = plan_promotion(request, root)
    if dry_run:
        return Outcome(plan, None, applied=False)
    start = check_git(plan) if git else ""
    try:
        apply_plan(plan)
    except OSError as err:
        raise PromotionError(f"could not write the promotion ({err}); nothing was changed") from err
    outcome = commit_plan(plan, start) if git else None
    return Outcome(plan, outcome, applied=True)
