"""Germline short-variant calling: FASTQ -> BAM -> VCF for one sample or a cohort.

The reference is prepared once (``.fai``, ``.dict``, BWA index); each sample is aligned and
duplicate-marked in parallel; the samples are called jointly; alignment QC runs beside the
calling. Every step is a cached `gatk_env` task, so a re-run with the same inputs and code is
instant.

From Python or a notebook::

    import flyte
    from stargazer.types import Reads, Reference, assemble
    from stargazer.workflows import germline_variants

    flyte.init_from_config()
    reference = assemble(kind="reference", build="demo")[-1]
    samples = assemble(kind="reads", sample_id=["sample1"])
    variants = flyte.run(germline_variants, reference=reference, samples=samples).outputs()[0]

From the shell::

    stargazer run germline_variants -i reference=build=demo -i samples=sample_id=sample1 --latest

The QC tables are registered with the alignments as parents:
``assemble(kind="table", name="alignment_qc", parent=<alignment id>)``, and `qc_for` finds
them from the returned variants.
"""

from __future__ import annotations

import asyncio

from stargazer.config import gatk_env
from stargazer.tasks.general.bwa import align
from stargazer.tasks.general.reference import prepare_reference
from stargazer.tasks.general.samtools import alignment_qc, mark_duplicates
from stargazer.tasks.variants.bcftools import call_variants
from stargazer.types import Alignment, Reads, Reference, Table, Variants, assemble


def _check_samples(samples: list[Reads]) -> None:
    if not samples:
        raise ValueError("germline_variants needs at least one Reads asset in samples; none given")
    ids = [reads.sample_id for reads in samples]
    repeated = sorted({s for s in ids if ids.count(s) > 1})
    if repeated:
        raise ValueError(
            f"sample {', '.join(repeated)} is given more than once; give one Reads asset per "
            "sample (concatenate a sample's lanes first)"
        )


@gatk_env.task
async def germline_variants(
    reference: Reference, samples: list[Reads], cohort: str = "", threads: int = 2
) -> Variants:
    """Align, mark duplicates and call germline SNVs and indels jointly.

    Args:
        reference: The reference genome (plain or already prepared).
        samples: One Reads asset per sample (paired or single-end).
        cohort: Name of the joint call for several samples (default: sample ids joined by _).
        threads: Threads per tool.

    Returns:
        The joint, normalised, indexed VCF. Its parents are the prepared reference and the
        duplicate-marked alignments; each alignment has an ``alignment_qc`` table.

    Raises:
        ValueError: No samples, a repeated sample, unpaired R1/R2, reads that do not map to
            the reference, or a reference with duplicate contigs.
    """
    _check_samples(samples)
    prepared = await prepare_reference(reference=reference)

    async def per_sample(reads: Reads) -> Alignment:
        aligned = await align(reference=prepared, reads=reads, threads=threads)
        marked, _metrics = await mark_duplicates(alignment=aligned, threads=threads)
        return marked

    marked = list(await asyncio.gather(*(per_sample(reads) for reads in samples)))
    variants, *_qc = await asyncio.gather(
        call_variants(reference=prepared, alignments=marked, cohort=cohort, threads=threads),
        *(alignment_qc(alignment=alignment, threads=1) for alignment in marked),
    )
    return variants


def qc_for(variants: Variants) -> list[Table]:
    """The ``alignment_qc`` tables of the alignments a call set was made from."""
    tables: list[Table] = []
    for parent in variants.parents:
        tables += assemble(kind="table", name="alignment_qc", parent=parent)
    return tables
