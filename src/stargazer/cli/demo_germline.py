"""`stargazer demo germline`: simulate a reference, diploid samples and reads, and register them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

from stargazer.cli.errors import CLIError
from stargazer.cli.options import demo_options
from stargazer.demo.germline_assets import register


def _size(value: str) -> int:
    from stargazer.demo.germline import parse_size

    try:
        return parse_size(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--size") from err


@click.command()
@click.option("--size", default="1Mb", show_default=True, help="Genome size (e.g. 20kb, 1Mb).")
@click.option("--coverage", default=30.0, show_default=True, help="Mean read depth.")
@click.option("--samples", default=1, show_default=True, help="Number of diploid samples.")
@demo_options(
    ("easy", "hard"),
    "hard adds segmental duplications, homopolymers and halves (and unevens) coverage.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also keep the generated files in this folder (by default only the store has them).",
)
def germline(
    size: str, coverage: float, samples: int, difficulty: str, seed: int, output: Path | None
) -> None:
    """Germline demo data: reference, reads with planted variants, truth VCF.

    Simulates a reference of several contigs, diploid samples with planted SNVs and short
    indels (het and hom), paired 150 bp reads with a realistic error profile, and a truth VCF;
    registers them as assets and prints the command that calls variants on them.
    """
    from stargazer.demo.germline import GermlineSpec, generate
    from stargazer.errors import InvalidAssetError

    try:
        spec = GermlineSpec(
            size=_size(size),
            coverage=coverage,
            samples=samples,
            difficulty=difficulty,
            seed=seed,
        )
    except ValueError as err:
        raise CLIError(str(err)) from err
    folder = output or Path(tempfile.mkdtemp(prefix="stargazer-demo-germline-"))
    try:
        demo = generate(spec, folder)
        registered = register(demo)
    except InvalidAssetError as err:
        raise CLIError(str(err)) from err
    finally:
        if output is None:
            shutil.rmtree(folder, ignore_errors=True)
    counts = demo.summary()
    click.echo(
        f"Germline demo ({spec.difficulty}, {spec.size:,} bp, {spec.coverage:g}x, seed "
        f"{spec.seed}): {counts['snv']} SNVs and {counts['indel']} indels planted "
        f"({counts['het']} het, {counts['hom']} hom genotypes)."
    )
    click.echo(f"  reference  {registered['reference'].id}")
    for sample, reads in registered["reads"].items():
        click.echo(f"  reads      {reads.id}  ({sample})")
    click.echo(f"  truth      {registered['truth'].id}")
    samples_args = " ".join(f"-i samples={reads.id}" for reads in registered["reads"].values())
    click.echo("Call variants on it with:")
    click.echo(
        f"  stargazer run germline_variants -i reference={registered['reference'].id} "
        f"{samples_args}"
    )
