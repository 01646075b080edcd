"""`stargazer demo scrna`: simulate single-cell counts with planted truth and register them."""

from __future__ import annotations

import click

from stargazer.cli.errors import CLIError
from stargazer.cli.options import demo_options


@click.command()
@click.option("--cells", default=5000, show_default=True, help="Number of cells (barcodes).")
@click.option("--genes", default=2000, show_default=True, help="Number of genes (13 are MT-).")
@click.option("--clusters", default=8, show_default=True, help="Number of planted cell types.")
@demo_options(
    ("easy", "moderate"), "moderate: fewer, weaker markers, shallower libraries, more doublets."
)
@click.option(
    "--sample-id", default="demo-scrna", show_default=True, help="sample_id of the asset."
)
def scrna(
    cells: int, genes: int, clusters: int, difficulty: str, seed: int, sample_id: str
) -> None:
    """Single-cell demo data: counts with planted cell types and markers.

    Negative-binomial counts with planted cell types and marker genes, mitochondrial genes,
    low-quality cells and doublets; the truth is in obs (truth_type, truth_kind) and var
    (planted_marker_of). Registered as a raw AnnData asset; prints its id and path.
    """
    from stargazer.demo.scrna import register_demo
    from stargazer.errors import InvalidAssetError

    try:
        asset = register_demo(cells, genes, clusters, difficulty, seed, sample_id)
    except (ValueError, InvalidAssetError) as err:
        raise CLIError(str(err)) from err
    click.echo(f"anndata\t{asset.id}\t{asset.path}")
    click.echo(
        f"{asset.n_obs} cells x {asset.n_vars} genes, {clusters} planted types ({difficulty}). "
        f"Cluster them with:\n  stargazer run scrna_clustering -i samples={asset.id}",
        err=True,
    )
