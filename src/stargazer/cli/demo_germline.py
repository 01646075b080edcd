"""`stargazer demo germline` (placeholder until the germline pipeline lands)."""

from __future__ import annotations

import click


@click.command()
def germline() -> None:
    """Germline demo data: reference, reads with planted variants, truth VCF."""
    raise click.ClickException("germline demo data is not available yet")
