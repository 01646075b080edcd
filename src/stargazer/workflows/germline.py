"""Germline short-variant calling: FASTQ -> BAM -> VCF for one sample or a cohort, sharded.

The reference is prepared once (``.fai``, ``.dict``, BWA index). Each sample's reads are cut
into chunks of ``reads_per_chunk`` pairs (`split_reads`) and every chunk is aligned by its
own `align` call. The genome is cut into regions of about ``region_size`` bp (at least one
per thread); per sample and region, `mark_duplicates_region` marks the duplicates among the
reads starting there, straight from the chunks (no serial merge), and as soon as a region's
shards (and its left neighbour's) are marked, `call_region` calls it. `gather_alignment`
joins each sample's shards into its duplicate-marked BAM and `alignment_qc` checks it, both
beside the calling; `join_calls` concatenates, normalises and filters the parts
(``LowQual`` under ``min_qual``, ``LowDepth`` under ``min_depth``). Every call is a
cached `gatk_env` task, gathered with `asyncio.gather`: on a cluster each shard is a pod of
its own, and a failed shard re-runs alone while the others are cache hits. The defaults
keep a laptop-sized sample in one chunk and one region per thread; the marked alignments
and calls equal those of one whole-sample markdup and call (tests compare them).

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
from stargazer.tasks.general.markdup_shards import (
    gather_alignment,
    mark_duplicates_region,
    shards_reaching,
)
from stargazer.tasks.general.reference import prepare_reference
from stargazer.tasks.general.reference_checks import reference_contigs
from stargazer.tasks.variants.bcftools import call_region, join_calls
from stargazer.tasks.variants.calling import (
    MIN_DEPTH,
    MIN_QUAL,
    PARALLEL_MIN_LENGTH,
    Region,
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
) -> list[Alignment]:
    """One sample's reads cut into chunks, each aligned by its own task call (sorted BAMs)."""
    chunks = await split_reads(reads=reads, reads_per_chunk=reads_per_chunk)
    return await gather_shards(
        [align(reference=reference, reads=chunk, threads=threads) for chunk in chunks]
    )


async def _once(shard: Awaitable[T]) -> T:
    return await shard


def _call_parts(
    reference: Reference,
    marks: list[list[asyncio.Task[Alignment]]],
    parts: list[list[Region]],
) -> list[Awaitable[Variants]]:
    """One `call_region` per part, each started as soon as the shards it reads are marked."""

    async def call(index: int) -> Variants:
        needed = [row[other] for row in marks for other in shards_reaching(parts, index)]
        shards = await gather_shards(list(needed))
        return await call_region(
            reference=reference, alignments=shards, regions=region_text(parts[index])
        )

    return [call(index) for index in range(len(parts))]


async def _gather_sample(
    marks: list[asyncio.Task[Alignment]], chunks: list[Alignment]
) -> Alignment:
    """The sample's marked BAM from its shards, and its QC (both beside the calling)."""
    gathered = await gather_alignment(shards=await gather_shards(list(marks)), chunks=chunks)
    await alignment_qc(alignment=gathered, threads=1)
    return gathered


async def call_sharded(
    reference: Reference,
    chunks: list[list[Alignment]],
    region_size: int,
    threads: int,
    cohort: str,
    min_qual: float,
    min_depth: int,
) -> tuple[Variants, list[Alignment]]:
    """Mark duplicates and call by regions of about ``region_size`` bp; join both; QC.

    Returns:
        The joined call set and each sample's gathered, duplicate-marked alignment (whose
        ``alignment_qc`` table is made beside the calling).
    """
    contigs = reference_contigs(await reference.fetch())
    genome = sum(length for _, length in contigs)
    parts = plan_regions(contigs, region_size, threads if genome >= PARALLEL_MIN_LENGTH else 1)
    marks = [
        [
            asyncio.ensure_future(
                _once(mark_duplicates_region(alignments=sample, regions=region_text(part)))
            )
            for part in parts
        ]
        for sample in chunks
    ]
    called, gathered = await asyncio.gather(
        gather_shards(_call_parts(reference, marks, parts)),
        gather_shards(
            [_gather_sample(row, sample) for row, sample in zip(marks, chunks, strict=True)]
        ),
    )
    variants = await join_calls(
        reference=reference,
        parts=called,
        cohort=cohort,
        min_qual=min_qual,
        min_depth=min_depth,
        alignments=gathered,
    )
    return variants, gathered


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
    chunks = list(
        await asyncio.gather(
            *(align_sample(prepared, reads, reads_per_chunk, threads) for reads in samples)
        )
    )
    variants, _marked = await call_sharded(
        prepared, chunks, region_size, threads, cohort, min_qual, min_depth
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
