"""BWA-MEM tasks: align a sample's reads, or cut them into chunks that align as separate tasks.

`align` turns reads into a sorted BAM whose records are `bwa mem`'s (see `bwa_align`).
For scale, `split_reads` cuts a sample's reads into chunks of ``reads_per_chunk`` pairs;
each chunk is aligned by its own `align` call (so a cluster runs them on separate pods and
each one is cached and retried alone); `markdup_shards` marks duplicates region by region
straight from the chunk BAMs (or `samtools.merge_alignments` joins them into one BAM).

    from stargazer.tasks import align, split_reads
    chunks = await split_reads(reads=reads, reads_per_chunk=10_000_000)
    parts = await asyncio.gather(*(align(reference=ref, reads=c) for c in chunks))
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from stargazer.config import gatk_env
from stargazer.tasks.general.bwa_align import (
    BATCH_BASES,
    INDEX_SUFFIXES,
    AlignStats,
    align_reads,
    bwa_index,
    read_group_header,
    tool_version,
)
from stargazer.tasks.general.bwa_reads import split_pairs, strip_mate_suffix
from stargazer.types import Alignment, Reads, Reference

TOOL = "pybwa"
#: The smallest gzipped FASTQ record (name, 100+ bases, qualities) takes more bytes than this.
MIN_GZIP_BYTES_PER_READ = 20


def _check_indexed(reference: Reference) -> None:
    missing = [role for role in INDEX_SUFFIXES if role not in reference.files]
    if missing:
        raise ValueError(
            f"reference {reference.names.get('primary', reference.id)} ({reference.id}) has no "
            f"BWA index ({', '.join(missing)} missing): run prepare_reference on it first and "
            "align to the reference it returns"
        )


def _too_few_mapped(
    stats: AlignStats, min_rate: float, sample: str, reads: Reads, ref: Reference
) -> str:
    return (
        f"only {stats.mapping_rate:.1%} of the {stats.reads} reads of sample {sample} "
        f"({reads.names['primary']}) map to {ref.names['primary']}; min_mapping_rate is "
        f"{min_rate:.0%}. The reads probably come from another organism or the wrong "
        "reference (or are adapter dimers): check the sample and the reference build. "
        "Nothing was registered."
    )


async def _register(
    bam: Path,
    reference: Reference,
    reads: Reads,
    sample: str,
    stats: AlignStats,
    *,
    library: str,
    unit: str,
) -> Alignment:
    """Register the sorted, unmarked BAM `align` wrote, with its mapping counts as params."""
    return await Alignment.create(
        bam,
        parents=[reference, reads],
        tool=TOOL,
        tool_version=tool_version(),
        params={
            "library": library,
            "unit": unit,
            "paired": reads.paired,
            "mapping_rate": round(stats.mapping_rate, 6),
            "proper_pairs": stats.proper_pairs,
        },
        sample_id=sample,
        reference_id=reference.id,
        sorted=True,
        duplicates_marked=False,
    )


@gatk_env.task
async def align(
    reference: Reference,
    reads: Reads,
    library: str = "",
    unit: str = "",
    threads: int = 2,
    min_mapping_rate: float = 0.5,
) -> Alignment:
    """Align a sample's reads with BWA-MEM into a sorted, indexed BAM (duplicates not marked).

    Args:
        reference: A reference with its BWA index (the output of `prepare_reference`).
        reads: Paired or single-end reads (a whole sample or one chunk of it); the read
            group's SM and PL come from it.
        library: Read group library (LB); the sample id by default.
        unit: Platform unit (PU), e.g. flowcell.lane; becomes the read group ID if given.
        threads: BWA threads.
        min_mapping_rate: Stop with an error, registering nothing, when fewer reads map.

    Returns:
        The coordinate-sorted alignment with ``MC``/``ms`` mate tags, ready for
        `mark_duplicates`.

    Raises:
        ValueError: The reference has no BWA index, R1/R2 do not pair, or too few reads map.
    """
    _check_indexed(reference)
    fasta = await reference.fetch()
    r1 = await reads.fetch()
    r2 = reads.companion("r2") if reads.paired else None
    sample = reads.sample_id or "sample"
    with tempfile.TemporaryDirectory(prefix="stargazer-align-") as work:
        bam = Path(work) / f"{sample}.bam"
        stats = await asyncio.to_thread(
            align_reads,
            fasta,
            r1,
            r2,
            bam,
            sample_id=sample,
            platform=reads.platform or "ILLUMINA",
            library=library or None,
            unit=unit or None,
            threads=threads,
            index=False,  # Alignment.create indexes it while it checks the order
        )
        if stats.mapping_rate < min_mapping_rate:
            raise ValueError(_too_few_mapped(stats, min_mapping_rate, sample, reads, reference))
        return await _register(bam, reference, reads, sample, stats, library=library, unit=unit)


def fewer_reads_than(reads_file: Path, reads_per_chunk: int) -> bool:
    """True when a gzipped FASTQ is too small to hold more than ``reads_per_chunk`` reads."""
    with open(reads_file, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    size = reads_file.stat().st_size
    return size < reads_per_chunk * (MIN_GZIP_BYTES_PER_READ if gzipped else 100)


@gatk_env.task
async def split_reads(reads: Reads, reads_per_chunk: int = 10_000_000) -> list[Reads]:
    """Cut a sample's reads into chunks of ``reads_per_chunk`` reads (pairs) for `align`.

    Reads too small to need cutting are returned as they are (one chunk, nothing written), so
    a sample below the chunk size aligns exactly as without sharding.

    Args:
        reads: Paired or single-end reads of one sample.
        reads_per_chunk: Reads (pairs) per chunk; 0 keeps the reads whole.

    Returns:
        The chunks in file order, each a `Reads` asset of the same sample and platform.

    Raises:
        ValueError: R1 and R2 do not pair, or ``reads_per_chunk`` is negative.
    """
    if reads_per_chunk < 0:
        raise ValueError(f"reads_per_chunk must be 0 (no split) or positive, got {reads_per_chunk}")
    r1 = await reads.fetch()
    if reads_per_chunk == 0 or fewer_reads_than(r1, reads_per_chunk):
        return [reads]
    r2 = reads.companion("r2") if reads.paired else None
    with tempfile.TemporaryDirectory(prefix="stargazer-split-") as work:
        chunks = await asyncio.to_thread(split_pairs, r1, r2, reads_per_chunk, work)
        if len(chunks) == 1:
            return [reads]
        return [
            await Reads.create(
                first,
                companions={"r2": second} if second is not None else None,
                parents=[reads],
                tool="stargazer.split_reads",
                tool_version=tool_version(),
                params={"reads_per_chunk": reads_per_chunk, "chunk": number},
                sample_id=reads.sample_id,
                platform=reads.platform,
            )
            for number, (first, second) in enumerate(chunks)
        ]


__all__ = [
    "BATCH_BASES",
    "INDEX_SUFFIXES",
    "AlignStats",
    "align",
    "align_reads",
    "bwa_index",
    "fewer_reads_than",
    "read_group_header",
    "split_reads",
    "strip_mate_suffix",
    "tool_version",
]
