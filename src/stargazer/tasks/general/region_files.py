"""Duplicate marking by region on BAM files: the samtools steps of `markdup_shards`' tasks.

This module imports nothing from Stargazer (only pysam), so the tasks run its functions in
new processes that start in a fraction of a second (`markdup_shards.in_own_process`).

    from stargazer.tasks.general.region_files import mark_region_files
    mark_region_files(["c0.bam", "c1.bam"], [("chr1", 1, 500_000)], "r0.bam", "work/")
"""

from __future__ import annotations

from pathlib import Path

import pysam

#: A region, 1-based inclusive: (contig, start, end).
Region = tuple[str, int, int]
#: BGZF level of the kept reads: 1, as for every BAM written fast; on the 5 Mb demo it is
#: 3% larger than level 2 and ~10% faster to write (compression is most of its time).
KEPT_BAM = ("--output-fmt-option", "level=1")

#: Bases read on each side of a region: every read that shares an unclipped 5' end with a
#: read of the region starts within a read length (plus clipping) of it.
MARGIN = 2_000


def _contig_lengths(bam: Path) -> dict[str, int]:
    with pysam.AlignmentFile(str(bam), "rb") as handle:
        return dict(zip(handle.references, handle.lengths, strict=True))


def window_bed(part: list[Region], lengths: dict[str, int], margin: int = MARGIN) -> str:
    """The part widened by ``margin`` bp each side, as BED lines (0-based, half-open)."""
    return "".join(
        f"{name}\t{max(0, start - 1 - margin)}\t{min(lengths[name], end + margin)}\n"
        for name, start, end in part
    )


def starts_in(part: list[Region]) -> str:
    """A ``samtools view -e`` expression: the read's position is in the part (1-based)."""
    return " || ".join(
        f'(rname == "{name}" && pos >= {start} && pos <= {end})' for name, start, end in part
    )


def shards_reaching(parts: list[list[Region]], index: int, margin: int = MARGIN) -> list[int]:
    """The parts whose reads can overlap part ``index`` (itself, usually the one before).

    A read overlapping a region starts at most ``margin`` bp before it.
    """
    wanted = []
    for other, pieces in enumerate(parts):
        if any(
            name == target and start <= stop and end >= begin - margin
            for name, start, end in pieces
            for target, begin, stop in parts[index]
        ):
            wanted.append(other)
    return wanted


def mark_region_files(
    chunks: list[str | Path], part: list[Region], out: str | Path, work: str | Path
) -> Path:
    """Mark duplicates among the reads of ``part`` in ``chunks``; write those starting in it.

    Args:
        chunks: Sorted, indexed BAMs of one sample with ``MC``/``ms`` tags (`align`'s output).
        part: The region(s), 1-based inclusive.
        out: The BAM to write: the reads that start in ``part``, duplicates flagged.
        work: A folder for the uncompressed intermediates.

    Returns:
        ``out``.
    """
    work, out = Path(work), Path(out)
    bed = work / f"{out.name}.window.bed"
    bed.write_text(window_bed(part, _contig_lengths(Path(chunks[0]))))
    window = work / f"{out.name}.window.bam"
    marked = work / f"{out.name}.marked.bam"
    pysam.samtools.merge(
        "-f", "-c", "-p", "-u", "--no-PG", "-L", str(bed), "-o", str(window),
        *map(str, chunks), catch_stdout=False,
    )  # fmt: skip
    pysam.samtools.markdup("-u", "--no-PG", str(window), str(marked), catch_stdout=False)
    pysam.samtools.view(
        "-b", *KEPT_BAM, "--no-PG", "-e", starts_in(part), "-o", str(out), str(marked),
        catch_stdout=False,
    )  # fmt: skip
    for path in (bed, window, marked):
        path.unlink()
    return out


def merge_window(bams: list[str | Path], part: list[Region], out: str | Path) -> Path:
    """One sample's shard BAMs merged over ``part`` into one uncompressed, indexed BAM.

    bcftools finds a pair's overlapping mates (to count them once) only within one file,
    so the shards a region's reads come from are merged before calling.
    """
    out = Path(out)
    bed = out.with_name(f"{out.name}.bed")
    bed.write_text(window_bed(part, _contig_lengths(Path(bams[0])), margin=0))
    pysam.samtools.merge(
        "-f", "-c", "-p", "-u", "--no-PG", "--write-index", "-L", str(bed),
        "-o", f"{out}##idx##{out}.bai", *map(str, bams), catch_stdout=False,
    )  # fmt: skip
    bed.unlink()
    return out


def gather_files(shards: list[str | Path], chunks: list[str | Path], out: str | Path) -> Path:
    """Concatenate region BAMs (in genome order) and the chunks' unplaced reads into ``out``."""
    out = Path(out)
    unplaced = []
    for number, chunk in enumerate(chunks):
        unplaced.append(out.with_name(f"{out.name}.unplaced{number}.bam"))
        pysam.samtools.view(
            "-b", *KEPT_BAM, "--no-PG", "-o", str(unplaced[-1]), str(chunk), "*",
            catch_stdout=False,
        )  # fmt: skip
    pysam.samtools.cat(
        "--no-PG", "-o", str(out), *map(str, shards), *map(str, unplaced), catch_stdout=False
    )
    for path in unplaced:
        path.unlink()
    return out


__all__ = [
    "KEPT_BAM",
    "MARGIN",
    "Region",
    "gather_files",
    "mark_region_files",
    "merge_window",
    "shards_reaching",
    "starts_in",
    "window_bed",
]
