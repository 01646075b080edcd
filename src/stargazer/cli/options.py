"""Option blocks that several commands share, each declared once as a decorator.

@click.command()
@task_inputs("A workflow input")
def run(inputs: tuple[str, ...], latest: bool) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def task_inputs(what: str) -> Callable[[F], F]:
    """`-i/--input NAME=VALUE` (repeatable) and `--latest`, read by `stargazer.invoke`.

    Args:
        what: How the help names one input ("A workflow input").
    """

    def decorate(command: F) -> F:
        command = click.option(
            "--latest",
            is_flag=True,
            help="When a query matches several assets, take the newest (per sample for list "
            "inputs).",
        )(command)
        return click.option(
            "--input",
            "-i",
            "inputs",
            multiple=True,
            metavar="NAME=VALUE",
            help=f"{what}: an asset id, a metadata query (key=value[,key=value]) or a scalar. "
            "Repeat for list inputs.",
        )(command)

    return decorate


def demo_options(difficulties: tuple[str, ...], harder: str) -> Callable[[F], F]:
    """`--difficulty` (the first of `difficulties` by default) and `--seed` of a demo data set.

    Args:
        difficulties: The levels, easiest first.
        harder: What the harder levels change, for the help.
    """

    def decorate(command: F) -> F:
        command = click.option(
            "--seed", default=0, show_default=True, help="Random seed (same seed, same data)."
        )(command)
        return click.option(
            "--difficulty",
            type=click.Choice(difficulties),
            default=difficulties[0],
            show_default=True,
            help=harder,
        )(command)

    return decorate
