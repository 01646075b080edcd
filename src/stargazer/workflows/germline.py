"""Germline short-variant calling: FASTQ -> BAM -> VCF for one sample or a cohort, sharded.

The reference is prepared once (``.fai``, ``.dict``, BWA index). Each sample's reads are cut
into chunks of ``reads_per_chunk`` pairs (`split_reads`), every chunk is aligned by its own
`align` call, the chunks are merged and duplicate-marked; the genome is cut into regions of
about ``region_size`` bp (at least one per thread), every region is called by its own
`call_region` call, and `join_calls` concatenates, normalises and filters the parts
(``LowQual`` under ``min_qual``, ``LowDepth`` under ``min_depth``). Alignment QC runs beside
the calling. Every call is a cached `gatk_env` task, gathered with `asyncio.gather`: on a
cluster each shard is a pod of its own, and a failed shard re-runs alone while the others
are cache hits. The defaults keep a laptop-sized sample in one chunk.

From Python or a notebook::

    import flyte
    from stargazer.types import assemble
    from stargazer.workflows import germline_variants

    flyte.init_from_config()
    reference = assemble(kind="reference", build="demo")[-1]
    samples = assemble(kind="reads", sample_id=["sample1"])
    variants = flyte.run(
        germline_variants, reference=reference, samples=samples,
        reads_per_chunk=2_000_000, region_size=5_000_000, min_qual=10.0, min_depth=3,
    ).outputs()[0]

From the shell::

    stargazer run germline_variants -i reference=build=demo -i samples=sample_id=sample1 --latest

The QC tables are registered with the alignments as parents:
``assemble(kind="table", name="alignment_qc", parent=<alignment id>)``, and `qc_for` finds
them from the returned variants.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from stargazer.config import gatk_env
from stargazer.tasks.general.alignment_qc import alignment_qc
from stargazer.tasks.general.bwa import align, split_reads
from stargazer.tasks.general.reference import prepare_reference
from stargazer.tasks.general.reference_checks import reference_contigs
from stargazer.tasks.general.samtools import mark_duplicates, merge_alignments
from stargazer.tasks.variants.bcftools import call_region, join_calls
from stargazer.tasks.variants.calling import (
    MIN_DEPTH,
    MIN_QUAL,
    PARALLEL_MIN_LENGTH,
    plan_regions,
    region_text,
)
from stargazer.types import Alignment, Reads, Reference, Table, Variants, assemble
from stargazer.types.query import check_one_per_sample

#: Default shard sizes: a 30x human genome (~400 M pairs) gives 40 alignment chunks and
#: 150 calling regions; a laptop demo stays one chunk and one region per thread.
READS_PER_CHUNK, REGION_SIZE = 10_000_000, 20_000_000

T = TypeVar("T")


async def gather_shards(shards: list[Awaitable[T]]) -> list[T]:
    """Run shard task calls together and let every one finish (and be cached) before failing.

    With a plain `asyncio.gather` the first failure would abandon the shards still running,
    so a re-run would redo them; here they complete, and a re-run repeats only the failed.

    Raises:
        Exception: The first shard's error, once all shards have finished.
    """
    results = await asyncio.gather(*shards, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    return [r for r in results if not isinstance(r, BaseException)]


def _check_samples(samples: list[Reads]) -> None:
    if not samples:
        raise ValueError("germline_variants needs at least one Reads asset in samples; none given")
    check_one_per_sample(
        samples,
        problem="is given more than once",
        fix="give one Reads asset per sample (concatenate a sample's lanes first)",
    )


def _check_sizes(reads_per_chunk: int, region_size: int) -> None:
    if reads_per_chunk < 0 or region_size <= 0:
        raise ValueError(
            f"reads_per_chunk must be >= 0 (0: one chunk) and region_size > 0; got "
            f"{reads_per_chunk} and {region_size}"
        )


async def align_sample(
    reference: Reference, reads: Reads, reads_per_chunk: int, threads: int
) -> Alignment:
    """One sample: its chunks aligned as separate task calls, merged, duplicates marked."""
    chunks = await split_reads(reads=reads, reads_per_chunk=reads_per_chunk)
    aligned = await gather_shards(
        [align(reference=reference, reads=chunk, threads=threads) for chunk in chunks]
    )
    merged = await merge_alignments(alignments=aligned, threads=threads)
    marked, _metrics = await mark_duplicates(alignment=merged, threads=threads)
    return marked


async def call_sharded(
    reference: Reference,
    alignments: list[Alignment],
    region_size: int,
    threads: int,
    cohort: str,
    min_qual: float,
    min_depth: int,
) -> Variants:
    """Call regions of about ``region_size`` bp (at least one per thread) and join them."""
    contigs = reference_contigs(await reference.fetch())
    genome = sum(length for _, length in contigs)
    least = threads if genome >= PARALLEL_MIN_LENGTH else 1
    regions = [region_text(part) for part in plan_regions(contigs, region_size, least)]
    parts = await gather_shards(
        [call_region(reference=reference, alignments=alignments, regions=r) for r in regions]
    )
    return await join_calls(
        reference=reference,
        parts=parts,
        cohort=cohort,
        min_qual=min_qual,
        min_depth=min_depth,
    )


@gatk_env.task
async def germline_variants(
    reference: Reference,
    samples: list[Reads],
    cohort: str = "",
    threads: int = 2,
    reads_per_chunk: int = READS_PER_CHUNK,
    region_size: int = REGION_SIZE,
    min_qual: float = MIN_QUAL,
    min_depth: int = MIN_DEPTH,
) -> Variants:
    """Align, mark duplicates and call germline SNVs and indels jointly, in shards.

    Args:
        reference: The reference genome (plain or already prepared).
        samples: One Reads asset per sample (paired or single-end).
        cohort: Name of the joint call for several samples (default: sample ids joined by _).
        threads: Threads per task (and the least number of calling regions).
        reads_per_chunk: Read pairs per alignment shard (0: one shard per sample).
        region_size: Bases per calling shard (regions of about equal length).
        min_qual: Calls with QUAL under this get FILTER ``LowQual``.
        min_depth: Calls with INFO/DP under this get FILTER ``LowDepth``.

    Returns:
        The joint, normalised, indexed, filtered VCF. Its parents are the prepared reference
        and the duplicate-marked alignments; each alignment has an ``alignment_qc`` table.

    Raises:
        ValueError: No samples, a repeated sample, unpaired R1/R2, reads that do not map to
            the reference, a reference with duplicate contigs, or bad shard sizes.
    """
    _check_samples(samples)
    _check_sizes(reads_per_chunk, region_size)
    prepared = await prepare_reference(reference=reference)
    marked = list(
        await asyncio.gather(
            *(align_sample(prepared, reads, reads_per_chunk, threads) for reads in samples)
        )
    )
    calling = call_sharded(prepared, marked, region_size, threads, cohort, min_qual, min_depth)
    variants, _qc = await asyncio.gather(
        calling,
        asyncio.gather(*(alignment_qc(alignment=alignment, threads=1) for alignment in marked)),
    )
    return variants


def qc_for(variants: Variants) -> list[Table]:
    """The ``alignment_qc`` tables of the alignments a call set was made from."""
    tables: list[Table] = []
    for parent in variants.parents:
        found = assemble(kind="table", name="alignment_qc", parent=parent)
        tables += [table for table in found if isinstance(table, Table)]
    return tables


__all__ = [
    "READS_PER_CHUNK",
    "REGION_SIZE",
    "align_sample",
    "call_sharded",
    "gather_shards",
    "germline_variants",
    "qc_for",
]
