"""bcftools calling tasks: whole-genome in one task, or one task per region and a join.

`call_variants` calls a sample or cohort in one task (regions in parallel processes on the
task's own cores). For a cluster, `call_region` calls one region (one pod each, cached and
retried alone) and `join_calls` concatenates the parts, left-aligns them and sets FILTER;
the settings and the FILTER are described in `calling`.

    from stargazer.tasks.variants.bcftools import call_region, join_calls
    parts = await asyncio.gather(*(call_region(reference=ref, alignments=bams, regions=r)
                                   for r in ["chr1:1-5000000", "chr1:5000001-9000000,chr2:1-800"]))
    variants = await join_calls(reference=ref, parts=list(parts), min_qual=20.0, min_depth=5)
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from stargazer.config import gatk_env
from stargazer.tasks.general.markdup_shards import in_own_process
from stargazer.tasks.general.reference_checks import check_bam_matches_reference
from stargazer.tasks.variants.calling import (
    CALL_ARGS,
    MIN_DEPTH,
    MIN_QUAL,
    MPILEUP_ARGS,
    Region,
    call_variants_files,
    finish,
    join_parts,
    parse_regions,
    split_regions,
    start_part,
)
from stargazer.types import Alignment, Reference, Variants
from stargazer.types.query import check_one_per_sample

TOOL = "bcftools"
#: What every call set records in its params.
SETTINGS = {"mpileup": " ".join(MPILEUP_ARGS), "call": " ".join(CALL_ARGS), "norm": "-f"}


def tool_version() -> str:
    """The bcftools version inside pysam, e.g. ``1.24 (pysam 0.24.1)``."""
    from pysam.version import __bcftools_version__, __version__

    return f"{__bcftools_version__} (pysam {__version__})"


def _is_shard(alignment: Alignment) -> bool:
    """A duplicate-marked region shard (`mark_duplicates_region`): part of a sample's BAM."""
    return bool(alignment.regions)


def _check_shards(alignments: list[Alignment]) -> None:
    """Refuse a sample given more than once, unless as distinct region shards of it."""
    whole = [a for a in alignments if not _is_shard(a)]
    shards = [a for a in alignments if _is_shard(a)]
    sharded = {a.sample_id for a in shards}
    regions = [(a.sample_id, a.regions) for a in shards]
    mixed = [a for a in whole if a.sample_id in sharded]
    twice = sorted({sample for sample, region in regions if regions.count((sample, region)) > 1})
    if twice:
        raise ValueError(
            f"sample {', '.join(twice)} is given the same region shard more than once; give "
            "each shard of a sample once"
        )
    check_one_per_sample(
        [*whole, *mixed],
        problem="appears in more than one alignment",
        fix="give one alignment per sample (merge a sample's BAMs first)",
    )


def _check_alignments(
    reference: Reference, alignments: list[Alignment], shards: bool = False
) -> None:
    """Refuse an empty list, repeated samples and BAMs made against another reference.

    Region shards of a sample are taken only where ``shards`` (by `call_region`).
    """
    if not alignments:
        raise ValueError("call_variants needs at least one alignment; none was given")
    if not shards:
        for alignment in filter(_is_shard, alignments):
            raise ValueError(
                f"{alignment.names['primary']} ({alignment.id}) holds only the reads of "
                f"{alignment.regions}: call the sample's whole alignment "
                "(gather_alignment joins its shards), or call the region with call_region"
            )
    _check_shards(alignments)
    for alignment in alignments:
        if not alignment.sorted:
            raise ValueError(
                f"{alignment.names['primary']} ({alignment.id}) is not coordinate-sorted; "
                "bcftools needs sorted, indexed BAMs (use align + mark_duplicates)"
            )
        other = alignment.reference_id
        if other and other != reference.id:
            made_with = Reference.load(other)
            if made_with.files["primary"] != reference.files["primary"]:
                raise ValueError(
                    f"{alignment.names['primary']} (sample {alignment.sample_id}) was aligned "
                    f"to another reference ({made_with.names['primary']}, {other}), not "
                    f"{reference.names['primary']} ({reference.id}): call it against the "
                    "reference it was aligned to, or re-align its reads to this one"
                )


async def _checked_bams(
    reference: Reference, alignments: list[Alignment], shards: bool = False
) -> list[Path]:
    _check_alignments(reference, alignments, shards)
    await reference.fetch()
    dictionary = reference.companion("dict") if "dict" in reference.files else None
    bams = []
    for alignment in alignments:
        bam = await alignment.fetch()
        await asyncio.to_thread(
            check_bam_matches_reference, bam, reference.companion("fai"), dictionary
        )
        bams.append(bam)
    return bams


def _call_set_name(alignments: list[Alignment], cohort: str) -> tuple[str, str, str]:
    """(file name, sample_id, cohort) of a call set: one sample, or the cohort."""
    samples = list(dict.fromkeys(a.sample_id for a in alignments))
    if len(samples) == 1:
        return samples[0] or "calls", samples[0], ""
    name = cohort or "_".join(samples)
    return name, "", name


@gatk_env.task
async def call_variants(
    reference: Reference,
    alignments: list[Alignment],
    cohort: str = "",
    threads: int = 2,
    min_qual: float = MIN_QUAL,
    min_depth: int = MIN_DEPTH,
) -> Variants:
    """Call germline SNVs and indels with bcftools (mpileup + call -m), jointly for a cohort.

    Args:
        reference: The reference the alignments were made against (``.fai`` needed).
        alignments: Sorted, indexed alignments, one per sample (duplicates marked ideally).
        cohort: Name of the cohort for a joint call; by default the sample ids joined by ``_``.
        threads: Region-parallel worker processes.
        min_qual: Calls with QUAL under this get FILTER ``LowQual``.
        min_depth: Calls with INFO/DP under this get FILTER ``LowDepth``.

    Returns:
        A bgzipped, tabix-indexed, left-aligned VCF with one column per sample; calls that
        pass both thresholds have FILTER ``PASS``.

    Raises:
        ValueError: No alignments, a sample given twice, or a BAM from another reference.
    """
    bams = await _checked_bams(reference, alignments)
    name, sample_id, cohort_name = _call_set_name(alignments, cohort)
    with tempfile.TemporaryDirectory(prefix="stargazer-call-") as work:
        out = Path(work) / f"{name}.vcf.gz"
        await asyncio.to_thread(
            call_variants_files,
            reference.path,
            bams,
            out,
            threads,
            min_qual=min_qual,
            min_depth=min_depth,
        )
        return await Variants.create(
            out,
            companions={"tbi": f"{out}.tbi"},
            parents=[reference, *alignments],
            tool=TOOL,
            tool_version=tool_version(),
            params={**SETTINGS, "min_qual": min_qual, "min_depth": min_depth},
            sample_id=sample_id,
            cohort=cohort_name,
            caller=TOOL,
        )


@gatk_env.task
async def call_region(reference: Reference, alignments: list[Alignment], regions: str) -> Variants:
    """Call one region of the genome (a calling shard), unfiltered and not yet normalised.

    Args:
        reference: The reference the alignments were made against.
        alignments: Sorted, indexed alignments: one per sample, or a sample's region shards
            (`mark_duplicates_region`) that hold the reads overlapping ``regions``.
        regions: The shard, ``chr1:1-5000000`` or several joined by commas (1-based).

    Returns:
        The raw calls of the shard (``bcftools call -m -v``), for `join_calls`.

    Raises:
        ValueError: Bad alignments or a region that is not ``contig:start-end``.
        RuntimeError: bcftools failed.
    """
    part = parse_regions(regions)
    files = await _checked_bams(reference, alignments, shards=True)
    name, sample_id, cohort = _call_set_name(alignments, "")
    with tempfile.TemporaryDirectory(prefix="stargazer-region-") as work:
        bams = await _one_bam_per_sample(alignments, files, part, Path(work))
        out = Path(work) / f"{name}.part.bcf"
        worker = start_part(reference.path, part, out, bams)
        await asyncio.to_thread(finish, worker, bams)
        vcf = Path(work) / f"{name}.part.vcf.gz"
        await asyncio.to_thread(_to_vcf_gz, out, vcf)
        return await Variants.create(
            vcf,
            companions={"tbi": f"{vcf}.tbi"},
            parents=[reference, *alignments],
            tool=TOOL,
            tool_version=tool_version(),
            params={**SETTINGS, "regions": regions, "stage": "region"},
            sample_id=sample_id,
            cohort=cohort,
            caller=TOOL,
        )


async def _one_bam_per_sample(
    alignments: list[Alignment], files: list[Path], part: list[Region], work: Path
) -> list[str]:
    """One BAM per sample, in order: a sample's several region shards merged over ``part``."""
    by_sample: dict[str, list[Path]] = {}
    for alignment, path in zip(alignments, files, strict=True):
        by_sample.setdefault(alignment.sample_id, []).append(path)
    bams = []
    for number, paths in enumerate(by_sample.values()):
        if len(paths) == 1:
            bams.append(str(paths[0]))
        else:
            window = work / f"sample{number}.window.bam"
            await in_own_process("merge_window", paths, part, window)
            bams.append(str(window))
    return bams


def _to_vcf_gz(bcf: Path, vcf: Path) -> None:
    import pysam.bcftools as bcftools

    bcftools.view(
        "--no-version", "-Oz", "-o", str(vcf), "--write-index=tbi", str(bcf), catch_stdout=False
    )


@gatk_env.task
async def join_calls(
    reference: Reference,
    parts: list[Variants],
    cohort: str = "",
    min_qual: float = MIN_QUAL,
    min_depth: int = MIN_DEPTH,
    alignments: list[Alignment] | None = None,
) -> Variants:
    """Join region calls (`call_region`, in genome order): concatenate, normalise, filter.

    Args:
        reference: The reference the parts were called against.
        parts: The shards' calls, in genome order.
        cohort: Name of a joint call of several samples (default: sample ids joined by _).
        min_qual: Calls with QUAL under this get FILTER ``LowQual``.
        min_depth: Calls with INFO/DP under this get FILTER ``LowDepth``.
        alignments: The samples' whole alignments, when the parts were called from their
            region shards (`germline_variants` gives the gathered ones): the call set's
            parents. By default, the alignments the first part was called from.

    Returns:
        One bgzipped, indexed, left-aligned VCF whose parents are the reference and the
        alignments.

    Raises:
        ValueError: No parts.
    """
    if not parts:
        raise ValueError("join_calls needs at least one part; none was given")
    files = [await part.fetch() for part in parts]
    sources = [a.id for a in alignments or []] or [p for p in parts[0].parents if p != reference.id]
    sample_id = parts[0].sample_id
    name = sample_id or cohort or parts[0].cohort or "calls"
    with tempfile.TemporaryDirectory(prefix="stargazer-join-") as work:
        out = Path(work) / f"{name}.vcf.gz"
        await asyncio.to_thread(join_parts, reference.path, files, out, min_qual, min_depth)
        return await Variants.create(
            out,
            companions={"tbi": f"{out}.tbi"},
            parents=[reference.id, *sources],
            tool=TOOL,
            tool_version=tool_version(),
            params={**SETTINGS, "min_qual": min_qual, "min_depth": min_depth},
            sample_id=sample_id,
            cohort="" if sample_id else (cohort or parts[0].cohort),
            caller=TOOL,
        )


__all__ = [
    "SETTINGS",
    "TOOL",
    "call_region",
    "call_variants",
    "call_variants_files",
    "join_calls",
    "split_regions",
    "tool_version",
]
