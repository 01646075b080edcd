"""`stargazer demo scrna` (placeholder until the single-cell pipeline lands)."""

from __future__ import annotations

import click


@click.command()
def scrna() -> None:
    """Single-cell demo data: counts with planted cell types and markers."""
    raise click.ClickException("scrna demo data is not available yet")
