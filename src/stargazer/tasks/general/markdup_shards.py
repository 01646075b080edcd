"""Duplicate marking by region, straight from a sample's chunk alignments, and the gather.

With sharded alignment a sample is a list of sorted chunk BAMs. Rather than merging them
into one BAM and marking duplicates in one serial pass, each calling region marks its own
reads (`mark_duplicates_region`, one task per region) and `gather_alignment` concatenates
the regions' reads into the sample's duplicate-marked BAM:

1. ``samtools merge -L`` reads the chunks' records overlapping the region widened by
   `MARGIN` bp on each side (through the chunks' indexes);
2. ``samtools markdup`` marks them. It decides each read of a pair on its own, from its
   position, its mate's position (``MC``) and the pair's score (``ms``, the same from both
   ends), so a pair cut by a region boundary gets the same verdict in both regions; the
   margin holds every read that competes with a read of the region (same unclipped 5' end);
3. ``samtools view -e`` keeps the reads that *start* in the region, so every read lands in
   exactly one region and the regions concatenate (``samtools cat``) into a sorted BAM
   whose flags are the ones one whole-sample ``markdup`` gives (tests compare them).

Reads with no position (unmapped pairs) are not duplicate candidates; the gather appends
them from the chunks. Everything but the kept reads is written uncompressed. The samtools
steps are in `region_files`; each task runs them in a process of its own.

    from stargazer.tasks import gather_alignment, mark_duplicates_region
    shards = [await mark_duplicates_region(alignments=chunks, regions=r) for r in regions]
    marked = await gather_alignment(shards=shards, chunks=chunks)
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from stargazer.config import gatk_env
from stargazer.tasks.general import region_files
from stargazer.tasks.general.region_files import MARGIN, shards_reaching
from stargazer.tasks.general.samtools import has_mate_tags, register_sorted_bam
from stargazer.tasks.variants.calling import parse_regions
from stargazer.types import Alignment

_RUN = """
import json, sys
import importlib.util
spec = importlib.util.spec_from_file_location("region_files", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
getattr(module, sys.argv[2])(*json.loads(sys.argv[3]))
"""


async def in_own_process(function: str, *args: object) -> None:
    """Run a function of `region_files` in a new process (which imports only pysam).

    pysam runs samtools' ``main`` in the calling process, whose option parsing is not safe
    for two threads at once; shards that run side by side (local runs, cohorts) must not
    share a process, and in their own processes they use every core.

    Raises:
        RuntimeError: The function failed; the message carries the end of its error output.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RUN, region_files.__file__, function,
        json.dumps(args, default=str),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, error = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"samtools {function} failed: {error.decode(errors='replace')[-2000:]}")


def _check_chunks(alignments: list[Alignment]) -> None:
    samples = sorted({a.sample_id for a in alignments})
    references = sorted({a.reference_id for a in alignments})
    unsorted = [a.names["primary"] for a in alignments if not a.sorted]
    if not alignments or len(samples) > 1 or len(references) > 1 or unsorted:
        raise ValueError(
            "mark_duplicates_region takes the sorted chunk alignments of one sample against "
            f"one reference (from `align`); got samples {samples}, references {references}"
            + (f", unsorted {unsorted}" if unsorted else "")
        )


@gatk_env.task
async def mark_duplicates_region(alignments: list[Alignment], regions: str) -> Alignment:
    """Flag duplicates among one sample's reads that start in ``regions`` (one shard).

    Args:
        alignments: The sample's sorted chunk alignments from `align` (with mate tags).
        regions: The shard, ``chr1:1-5000000`` or several joined by commas (1-based).

    Returns:
        The duplicate-marked reads that start in the shard (sorted, indexed), for
        `stargazer.tasks.variants.bcftools.call_region` and `gather_alignment`.

    Raises:
        ValueError: Chunks of several samples or references, unsorted chunks, chunks without
            ``MC``/``ms`` mate tags, or a region that is not ``contig:start-end``.
    """
    _check_chunks(alignments)
    part = parse_regions(regions)
    bams = [await a.fetch() for a in alignments]
    for alignment, bam in zip(alignments, bams, strict=True):
        if not await asyncio.to_thread(has_mate_tags, bam):
            raise ValueError(
                f"{alignment.names['primary']} ({alignment.id}) has no MC/ms mate tags: mark "
                "its duplicates whole with mark_duplicates, or align the reads with `align`"
            )
    sample = alignments[0].sample_id or "sample"
    with tempfile.TemporaryDirectory(prefix="stargazer-markdup-region-") as work:
        out = Path(work) / f"{sample}.region.bam"
        await in_own_process("mark_region_files", bams, part, out, work)
        params: dict[str, object] = {"command": "markdup (reads starting in regions)"}
        return await register_sorted_bam(
            out, alignments, params, duplicates_marked=True, regions=regions
        )


@gatk_env.task
async def gather_alignment(shards: list[Alignment], chunks: list[Alignment]) -> Alignment:
    """Join a sample's duplicate-marked region shards into its one marked BAM.

    Args:
        shards: `mark_duplicates_region` outputs of one sample, in genome order, covering
            the genome once.
        chunks: The chunk alignments the shards were made from (their unplaced reads are
            appended).

    Returns:
        The sample's sorted, indexed, duplicate-marked alignment; its parents are the shards.

    Raises:
        ValueError: No shards, or shards of several samples.
    """
    samples = sorted({a.sample_id for a in [*shards, *chunks]})
    if not shards or len(samples) > 1:
        raise ValueError(
            f"gather_alignment joins the region shards of one sample; got {len(shards)} "
            f"shards of samples {samples}"
        )
    files = [await a.fetch() for a in shards]
    chunk_files = [await a.fetch() for a in chunks]
    with tempfile.TemporaryDirectory(prefix="stargazer-gather-") as work:
        out = Path(work) / f"{samples[0] or 'sample'}.markdup.bam"
        await in_own_process("gather_files", files, chunk_files, out)
        params = {"command": "markdup (by region)", "regions": len(shards)}
        return await register_sorted_bam(out, shards, params, duplicates_marked=True)


__all__ = [
    "MARGIN",
    "gather_alignment",
    "in_own_process",
    "mark_duplicates_region",
    "shards_reaching",
]
