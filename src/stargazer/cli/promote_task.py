"""`stargazer promote-task`: move a task from a notebook cell into the SDK."""

from __future__ import annotations

from typing import Any

import click

from stargazer.cli.errors import reported

# The promotion pathway's last step, printed when a promotion is done.
_NEXT_STEP = (
    "Next: `{command}` checks the change against the conventions (docstring, asset-typed "
    "I/O, tool versions, a real test, coverage, lint) and suggests patches; see docs/review.md."
)


def _helpers(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())


@click.command("promote-task")
@click.argument("spec", metavar="NOTEBOOK::NAME", required=False)
@click.option(
    "--to",
    "to",
    metavar="MODULE",
    help="Target module relative to src/stargazer/, e.g. tasks/coverage.py (created if missing).",
)
@click.option(
    "--with",
    "helpers",
    metavar="NAME[,NAME]",
    help="Helper functions or classes from the notebook to bring along.",
)
@click.option("--replace", is_flag=True, help="Replace a same-named definition in the module.")
@click.option(
    "--keep-notebook", is_flag=True, help="Leave the notebook untouched (no import rewrite)."
)
@click.option("--no-git", is_flag=True, help="Skip the promote/NAME branch, commit and PR.")
@click.option("--dry-run", is_flag=True, help="Print the diff of every file; change nothing.")
@click.option(
    "--abort",
    is_flag=True,
    help="Only roll back (or finish) a promotion that was interrupted, then stop.",
)
def promote_task(
    spec: str | None,
    to: str | None,
    helpers: str | None,
    replace: bool,
    keep_notebook: bool,
    no_git: bool,
    dry_run: bool,
    abort: bool,
) -> None:
    """Promote a task from a marimo notebook into the tested SDK.

    NOTEBOOK::NAME names a top-level @app.function, a named @app.cell, or a function defined
    inside a cell, e.g. notebooks/scratch/x.py::coverage. The notebook is read with `ast`,
    never run. The task keeps its decorators, signature, type hints and docstring; the names
    it uses become imports in the module; it is exported from its package
    (`from stargazer.tasks import NAME`); a test that runs it through flyte.run is generated
    under tests/stargazer/; the notebook then imports it from the SDK. Unless --no-git, the
    change is committed on a new branch promote/NAME and a PR is opened with `gh` when it
    can be (otherwise the commands are printed). Any failure leaves the tree as it was.
    A journal is written before the first change: if promote-task is killed midway, the next
    run (or `promote-task --abort`) rolls the interrupted promotion back, or finishes it.
    """
    from stargazer.promote import PromoteRequest, parse_spec, promote

    if abort:
        from stargazer.promote import abort as abort_promotion

        with reported():
            done = abort_promotion()
        click.echo(done or "No interrupted promotion: nothing to do.")
        return
    if spec is None or to is None:
        raise click.UsageError("give NOTEBOOK::NAME and --to MODULE (or --abort)")
    with reported():
        notebook, name = parse_spec(spec)
        request = PromoteRequest(
            notebook,
            name,
            to,
            helpers=_helpers(helpers),
            replace=replace,
            keep_notebook=keep_notebook,
        )
        outcome = promote(request, git=not no_git, dry_run=dry_run)
    if outcome.recovered:
        click.echo(f"First: {outcome.recovered}.", err=True)
    if dry_run:
        plan = outcome.plan
        click.echo(plan.diff(), nl=False)
        click.echo(f"dry run: {len(plan.changes)} file(s) would change; nothing written.", err=True)
        if not no_git:
            click.echo(f"dry run: would commit them on the branch {request.branch}.", err=True)
        return
    _report(name, outcome)


def _report(name: str, outcome: Any) -> None:
    """What a promotion changed, what the review should look at, and the git outcome."""
    plan = outcome.plan
    click.echo(f"Promoted `{name}` into {plan.module}:")
    for change in plan.changes:
        click.echo(f"  {plan.relative(change.path)}: {change.what}")
    for warning in plan.warnings:
        click.echo(f"review: {warning}")
    git = outcome.git
    if git is None:
        click.echo(_NEXT_STEP.format(command="stargazer review --base HEAD"))
        return
    click.echo(f"Committed {git.commit} on the branch {git.branch}.")
    if git.pr_url:
        click.echo(f"Opened {git.pr_url}")
    else:
        click.echo(f"No pull request opened ({git.note}). To open one:")
        for command in git.commands:
            click.echo(f"  {command}")
    click.echo(_NEXT_STEP.format(command="stargazer review"))
