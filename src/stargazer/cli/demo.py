"""`stargazer demo`: generate and register synthetic data sets with known truth."""

from __future__ import annotations

import click

from stargazer.cli.demo_germline import germline
from stargazer.cli.demo_scrna import scrna


@click.group()
def demo() -> None:
    """Generate demo data with planted truth and register it as assets.

    Deterministic by --seed; everything is generated offline in seconds.
    """


demo.add_command(germline)
demo.add_command(scrna)
