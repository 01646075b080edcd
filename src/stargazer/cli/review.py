"""`stargazer review`: check the current branch's changes against the project's conventions."""

from __future__ import annotations

from pathlib import Path

import click

from stargazer.cli.errors import CLIError


@click.command("review")
@click.option(
    "--base",
    default="main",
    show_default=True,
    metavar="BRANCH",
    help="The branch the change merges into (origin/BRANCH is tried too).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="markdown for people and PRs; json (comments, patches, checks) for tools.",
)
@click.option("--post", is_flag=True, help="Post the review to the branch's PR with `gh`.")
@click.option("--pr", metavar="NUMBER", help="The PR to post to (default: the branch's PR).")
@click.option(
    "--ai/--no-ai",
    default=True,
    show_default=True,
    help="Ask the AI reviewer when ANTHROPIC_API_KEY or OPENAI_API_KEY is set.",
)
@click.option(
    "--no-tests",
    is_flag=True,
    help="Do not run the tests under coverage (the review then says they were not run).",
)
def review(
    base: str, output_format: str, post: bool, pr: str | None, ai: bool, no_tests: bool
) -> None:
    """Review this branch's changes against the project's conventions.

    Deterministic and offline: a Google docstring with a one-line summary on every task;
    typed asset inputs and outputs, no file paths between tasks; created assets record
    parents, tool and the tool_version that ran; the module under tasks/<domain>/, one per
    tool, snake_case, exported from stargazer.tasks; a real test (no xfail/TODO) that passes
    and covers at least 80% of the module (coverage.py); ruff and check-boundary clean. Each
    comment says file:line, what and why, with a patch where the fix is mechanical.
    Uncommitted edits and untracked files count as changes. Exits 1 when a blocking
    convention fails. With a model key set, an AI reviewer adds comments under marimo.toml's
    [ai] rules.
    """
    from stargazer.review import post_review, render_json, render_markdown
    from stargazer.review import review as run_review

    try:
        result = run_review(Path.cwd(), base=base, run_tests=not no_tests, ai=ai)
    except ValueError as err:
        raise CLIError(str(err)) from err
    render = render_json if output_format == "json" else render_markdown
    click.echo(render(result), nl=False)
    if post:
        try:
            where = post_review(result, Path.cwd(), pr=pr)
        except ValueError as err:
            raise CLIError(f"--post: {err}") from err
        click.echo(f"Posted the review: {where}", err=True)
    if result.exit_code:
        raise SystemExit(result.exit_code)
