"""samtools through pysam: FASTA index and dictionary, duplicate marking, merging chunk BAMs.

pysam runs samtools' own C code in this process. Its wrappers return the tool's stdout as
text unless ``catch_stdout=False`` is passed, and some (``view``) ignore ``-o`` otherwise, so
every call that writes a file here passes ``catch_stdout=False``. Reference checks live in
`reference_checks`, alignment QC in `alignment_qc`.

    from stargazer.tasks.general.samtools import faidx, sequence_dictionary, markdup
    faidx("ref.fa"); sequence_dictionary("ref.fa")          # ref.fa.fai, ref.dict
    metrics = markdup("in.bam", "out.bam")                  # needs MC/ms tags (bwa.align_reads)
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pysam

from stargazer.config import gatk_env
from stargazer.tasks.general.reference_checks import (
    check_bam_matches_reference,
    check_unique_contigs,
    reference_contigs,
)
from stargazer.types import Alignment, Table

TOOL = "samtools"
#: BGZF levels: merged chunks are an intermediate (level 1, fast); the duplicate-marked BAM is
#: kept, so it gets level 2 (GATK's default: within ~10% of level 6's size, far faster).
FAST_BAM = ("--output-fmt-option", "level=1")
MARKED_BAM = ("--output-fmt-option", "level=2")


def tool_version() -> str:
    """The samtools version inside pysam, e.g. ``1.24 (pysam 0.24.1)``."""
    from pysam.version import __samtools_version__, __version__

    return f"{__samtools_version__} (pysam {__version__})"


def faidx(fasta: str | Path) -> Path:
    """``samtools faidx``: write ``<fasta>.fai``."""
    pysam.faidx(str(fasta), catch_stdout=False)
    return Path(f"{fasta}.fai")


def sequence_dictionary(fasta: str | Path, out: str | Path | None = None) -> Path:
    """``samtools dict``: write the sequence dictionary (``ref.dict`` for ``ref.fa``)."""
    fasta = Path(fasta)
    out = Path(out) if out else fasta.with_suffix(".dict")
    # `-u NAME`: by default the UR tag holds the FASTA's absolute path, which would make the
    # .dict (and every asset derived from it) depend on where the store lives.
    pysam.samtools.dict("-u", fasta.name, "-o", str(out), str(fasta), catch_stdout=False)
    return out


def index_bam(bam: str | Path, threads: int = 2) -> Path:
    """``samtools index``: write ``<bam>.bai``."""
    pysam.samtools.index("-@", str(threads), str(bam), catch_stdout=False)
    return Path(f"{bam}.bai")


_MARKDUP_KEYS = {
    "READ": "reads",
    "WRITTEN": "written",
    "EXCLUDED": "excluded",
    "EXAMINED": "examined",
    "PAIRED": "paired",
    "SINGLE": "single",
    "DUPLICATE PAIR": "duplicate_pairs",
    "DUPLICATE SINGLE": "duplicate_singles",
    "DUPLICATE PAIR OPTICAL": "optical_duplicate_pairs",
    "DUPLICATE SINGLE OPTICAL": "optical_duplicate_singles",
    "DUPLICATE NON PRIMARY": "duplicate_non_primary",
    "DUPLICATE NON PRIMARY OPTICAL": "optical_duplicate_non_primary",
    "DUPLICATE PRIMARY TOTAL": "duplicate_primary_total",
    "DUPLICATE TOTAL": "duplicate_total",
    "ESTIMATED_LIBRARY_SIZE": "estimated_library_size",
}


def markdup(
    in_bam: str | Path,
    out_bam: str | Path,
    threads: int = 2,
    remove: bool = False,
    index: bool = True,
) -> dict[str, float]:
    """``samtools markdup``: flag (or remove) duplicates, index the output, return its metrics.

    The input must be coordinate-sorted with ``MC`` and ``ms`` tags on paired reads
    (``samtools fixmate -m``, or `stargazer.tasks.general.bwa.align_reads`). With
    ``index=False`` no ``.bai`` is written (`Alignment.create` builds one while it checks
    the order anyway).

    Returns:
        The markdup statistics (reads, duplicate pairs, ...) plus ``duplicate_rate``.
    """
    out_bam = Path(out_bam)
    stats_file = out_bam.with_name(out_bam.name + ".markdup.txt")
    args = ["-@", str(threads), "-s", "-f", str(stats_file), "--no-PG", *MARKED_BAM]
    if remove:
        args.append("-r")
    pysam.samtools.markdup(*args, str(in_bam), str(out_bam), catch_stdout=False)
    if index:
        index_bam(out_bam, threads)
    metrics: dict[str, float] = {}
    for line in stats_file.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() in _MARKDUP_KEYS and value.strip():
            metrics[_MARKDUP_KEYS[key.strip()]] = float(value.strip())
    stats_file.unlink()
    examined = metrics.get("examined", 0.0)
    metrics["duplicate_rate"] = metrics.get("duplicate_total", 0.0) / examined if examined else 0.0
    return metrics


def has_mate_tags(bam: str | Path, sample: int = 1000) -> bool:
    """Whether the first paired records carry ``ms`` and ``MC`` (needed by markdup)."""
    seen = 0
    with pysam.AlignmentFile(str(bam), "rb") as handle:
        for record in handle.fetch(until_eof=True):
            if not record.is_paired or record.is_unmapped or record.mate_is_unmapped:
                continue
            if not (record.has_tag("ms") and record.has_tag("MC")):
                return False
            seen += 1
            if seen >= sample:
                break
    return True


def add_mate_tags(in_bam: str | Path, out_bam: str | Path, threads: int = 2) -> Path:
    """``samtools collate | fixmate -m | sort``: add MC/ms tags to a BAM from another aligner."""
    out_bam = Path(out_bam)
    collated = out_bam.with_name(out_bam.name + ".collated.bam")
    fixed = out_bam.with_name(out_bam.name + ".fixmate.bam")
    prefix = out_bam.with_name(out_bam.name + ".tmp")
    pysam.samtools.collate(
        "-@", str(threads), "-o", str(collated), str(in_bam), str(prefix), catch_stdout=False
    )
    pysam.samtools.fixmate("-@", str(threads), "-m", str(collated), str(fixed), catch_stdout=False)
    pysam.samtools.sort("-@", str(threads), "-o", str(out_bam), str(fixed), catch_stdout=False)
    collated.unlink()
    fixed.unlink()
    return out_bam


def _write_tsv(rows: Mapping[str, object], path: Path) -> Path:
    lines = ["metric\tvalue", *(f"{key}\t{value}" for key, value in rows.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


async def register_sorted_bam(
    bam: Path,
    parents: list[Alignment],
    params: dict[str, object],
    *,
    duplicates_marked: bool,
    regions: str = "",
) -> Alignment:
    """Register a sorted BAM samtools made from ``parents`` (one sample, one reference)."""
    return await Alignment.create(
        bam,
        parents=parents,
        tool=TOOL,
        tool_version=tool_version(),
        params=params,
        sample_id=parents[0].sample_id,
        reference_id=parents[0].reference_id,
        sorted=True,
        duplicates_marked=duplicates_marked,
        regions=regions,
    )


@gatk_env.task
async def mark_duplicates(alignment: Alignment, threads: int = 2) -> tuple[Alignment, Table]:
    """Flag PCR and optical duplicates with ``samtools markdup``.

    BAMs from `align` carry the mate tags markdup needs; other coordinate-sorted BAMs get them
    from ``samtools collate | fixmate -m | sort`` first.

    Args:
        alignment: A coordinate-sorted alignment.
        threads: samtools threads.

    Returns:
        The alignment with duplicates flagged (indexed), and the markdup metrics as a TSV
        `Table` (``name="duplicate_metrics"``).

    Raises:
        ValueError: The alignment is not coordinate-sorted.
    """
    if not alignment.sorted:
        raise ValueError(
            f"{alignment.names['primary']} ({alignment.id}) is not coordinate-sorted: sort it "
            "(pysam.sort) and add it with sorted=true, or align the reads with `align`"
        )
    bam = await alignment.fetch()
    sample = alignment.sample_id or "sample"
    with tempfile.TemporaryDirectory(prefix="stargazer-markdup-") as work:
        source = bam
        if not await asyncio.to_thread(has_mate_tags, bam):
            source = await asyncio.to_thread(add_mate_tags, bam, Path(work) / "mates.bam", threads)
        out = Path(work) / f"{sample}.markdup.bam"
        metrics = await asyncio.to_thread(markdup, source, out, threads, index=False)
        # not threads in params: they cannot change the output
        params: dict[str, object] = {"command": "markdup -s"}
        marked = await register_sorted_bam(out, [alignment], params, duplicates_marked=True)
        table = await Table.create(
            _write_tsv(metrics, Path(work) / f"{sample}.duplicate_metrics.tsv"),
            parents=[marked],
            tool=TOOL,
            tool_version=tool_version(),
            name="duplicate_metrics",
            sample_id=alignment.sample_id,
            format="tsv",
        )
    return marked, table


@gatk_env.task
async def merge_alignments(alignments: list[Alignment], threads: int = 2) -> Alignment:
    """Merge the sorted BAMs of one sample's read chunks (``samtools merge``) into one.

    Args:
        alignments: Coordinate-sorted chunk alignments of one sample, against one reference
            (the outputs of `align` on `split_reads`' chunks). A single one is returned as is.
        threads: samtools threads.

    Returns:
        One coordinate-sorted, indexed alignment whose parents are the chunks.

    Raises:
        ValueError: No alignments, several samples or references, or an unsorted chunk.
    """
    if not alignments:
        raise ValueError("merge_alignments needs at least one alignment; none was given")
    if len(alignments) == 1:
        return alignments[0]
    samples = sorted({a.sample_id for a in alignments})
    references = sorted({a.reference_id for a in alignments})
    unsorted = [a.names["primary"] for a in alignments if not a.sorted]
    if len(samples) > 1 or len(references) > 1 or unsorted:
        raise ValueError(
            "merge_alignments joins the chunks of one sample aligned to one reference, all "
            f"coordinate-sorted; got samples {samples}, references {references}"
            + (f", unsorted {unsorted}" if unsorted else "")
        )
    bams = [str(await a.fetch()) for a in alignments]
    with tempfile.TemporaryDirectory(prefix="stargazer-merge-") as work:
        out = Path(work) / f"{samples[0] or 'sample'}.bam"
        await asyncio.to_thread(
            pysam.samtools.merge,
            "-f", "-c", "-p", *FAST_BAM, "--no-PG", "-@", str(threads), "-o", str(out), *bams,
            catch_stdout=False,
        )  # fmt: skip
        params = {"command": "merge -c -p", "chunks": len(alignments)}
        return await register_sorted_bam(out, alignments, params, duplicates_marked=False)


__all__ = [
    "TOOL",
    "add_mate_tags",
    "check_bam_matches_reference",
    "check_unique_contigs",
    "faidx",
    "has_mate_tags",
    "index_bam",
    "mark_duplicates",
    "markdup",
    "merge_alignments",
    "reference_contigs",
    "register_sorted_bam",
    "sequence_dictionary",
    "tool_version",
]
