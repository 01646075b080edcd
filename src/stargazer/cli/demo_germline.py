"""`stargazer demo germline`: simulate a reference, diploid samples and reads, and register them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import click


def _size(value: str) -> int:
    from stargazer.demo.germline import parse_size

    try:
        return parse_size(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--size") from err


def register(demo: Any) -> dict[str, Any]:
    """Register a generated data set: reference, one Reads per sample, the truth VCF.

    Returns:
        ``{"reference": Reference, "reads": {sample: Reads}, "truth": Variants}``.
    """
    from stargazer import __version__
    from stargazer.types import Reads, Reference, Variants

    spec = demo.spec
    tool = "stargazer.demo.germline"
    params = {
        "size": spec.size,
        "coverage": spec.coverage,
        "samples": spec.samples,
        "difficulty": spec.difficulty,
        "seed": spec.seed,
    }
    reference = Reference.create_sync(
        demo.reference, tool=tool, tool_version=__version__, params=params, build="demo"
    )
    reads = {
        sample: Reads.create_sync(
            r1,
            companions={"r2": r2},
            parents=[reference],
            tool=tool,
            tool_version=__version__,
            params=params,
            sample_id=sample,
            paired=True,
        )
        for sample, (r1, r2) in demo.reads.items()
    }
    single = spec.samples == 1
    truth = Variants.create_sync(
        demo.truth,
        companions={"tbi": f"{demo.truth}.tbi"},
        parents=[reference],
        tool=tool,
        tool_version=__version__,
        params=params,
        sample_id=spec.sample_ids[0] if single else "",
        cohort="" if single else "demo",
        caller="truth",
    )
    return {"reference": reference, "reads": reads, "truth": truth}


@click.command()
@click.option("--size", default="1Mb", show_default=True, help="Genome size (e.g. 20kb, 1Mb).")
@click.option("--coverage", default=30.0, show_default=True, help="Mean read depth.")
@click.option("--samples", default=1, show_default=True, help="Number of diploid samples.")
@click.option(
    "--difficulty",
    type=click.Choice(["easy", "hard"]),
    default="easy",
    show_default=True,
    help="hard adds segmental duplications, homopolymers and halves (and unevens) coverage.",
)
@click.option("--seed", default=0, show_default=True, help="Random seed (same seed, same data).")
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
        raise click.ClickException(str(err)) from err
    folder = output or Path(tempfile.mkdtemp(prefix="stargazer-demo-germline-"))
    try:
        demo = generate(spec, folder)
        registered = register(demo)
    except InvalidAssetError as err:
        raise click.ClickException(str(err)) from err
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
