"""Alignment QC for notebooks: flagstat, mapping/duplicate/proper-pair rates, insert size, depth.

Depth and insert sizes come from one pass over the BAM (pysam); flagstat from samtools.

    from stargazer.tasks.general.alignment_qc import qc_metrics
    report = qc_metrics("s.bam", window=10_000)   # {"metrics", "flagstat", "windows"}
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pysam

from stargazer.config import gatk_env
from stargazer.tasks.general.samtools import TOOL, tool_version
from stargazer.types import Alignment, Table

if TYPE_CHECKING:
    import numpy as np


def flagstat(bam: str | Path, threads: int = 2) -> dict[str, int]:
    """``samtools flagstat -O tsv`` as {metric: QC-passed count}."""
    text = str(pysam.samtools.flagstat("-@", str(threads), "-O", "tsv", str(bam)))
    counts = {}
    for line in text.splitlines():
        passed, _failed, name = line.split("\t")
        if passed.isdigit():
            counts[name] = int(passed)
    return counts


#: Reads left out of depth (as mosdepth): unmapped, secondary, QC-failed, duplicate.
_READ1_PROPER = pysam.FREAD1 | pysam.FPROPER_PAIR
DEPTH_EXCLUDE = pysam.FUNMAP | pysam.FSECONDARY | pysam.FQCFAIL | pysam.FDUP


def depth_and_inserts(
    bam: str | Path, threads: int = 2
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-base depth per contig and the insert sizes of proper pairs, in one pass.

    Depth counts the reference span of each primary, non-duplicate alignment (as mosdepth
    does: deletions are spanned). Insert sizes are |TLEN| of READ1 records of proper pairs.

    Returns:
        (contig -> depth array, insert sizes).
    """
    import numpy as np

    with pysam.AlignmentFile(str(bam), "rb", threads=threads) as handle:
        names, lengths = handle.references, handle.lengths
        starts: list[list[int]] = [[] for _ in names]
        ends: list[list[int]] = [[] for _ in names]
        inserts: list[int] = []
        for record in handle.fetch(until_eof=True):
            flag = record.flag
            if flag & DEPTH_EXCLUDE or flag & pysam.FSUPPLEMENTARY:
                continue
            tid = record.reference_id
            starts[tid].append(record.reference_start)
            ends[tid].append(record.reference_end or record.reference_start)
            if flag & _READ1_PROPER == _READ1_PROPER:
                inserts.append(record.template_length)
    depth = {}
    for tid, (name, length) in enumerate(zip(names, lengths, strict=True)):
        change = np.zeros(length + 1, dtype=np.int32)
        np.add.at(change, np.asarray(starts[tid], dtype=np.int64), 1)
        np.add.at(change, np.asarray(ends[tid], dtype=np.int64), -1)
        depth[name] = np.cumsum(change[:-1])
    return depth, np.abs(np.asarray(inserts, dtype=np.int64))


def window_depth(depth: dict[str, np.ndarray], window: int) -> list[dict[str, float | int | str]]:
    """Mean depth per window of ``window`` bp, for plotting."""
    rows: list[dict[str, float | int | str]] = []
    for contig, values in depth.items():
        for start in range(0, len(values), window):
            chunk = values[start : start + window]
            rows.append(
                {
                    "contig": contig,
                    "start": start,
                    "end": start + len(chunk),
                    "depth": round(float(chunk.mean()), 3),
                }
            )
    return rows


def default_window(genome_length: int) -> int:
    """A window size giving about 500 windows, rounded to 1/2/5 x 10^k, at least 100 bp."""
    target = max(100, genome_length // 500)
    magnitude: int = 10 ** (len(str(target)) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= target:
            return step * magnitude
    return 10 * magnitude


def qc_metrics(bam: str | Path, window: int | None = None, threads: int = 2) -> dict[str, object]:
    """Alignment QC: flagstat, mapping/duplicate/proper-pair rates, insert size, depth.

    Returns:
        ``{"metrics": {...}, "flagstat": {...}, "windows": [{contig, start, end, depth}]}``,
        ready to be written as JSON and read with ``pandas``.
    """
    import numpy as np

    flags = flagstat(bam, threads)
    depth, inserts = depth_and_inserts(bam, threads)
    genome = sum(len(values) for values in depth.values())
    window = window or default_window(genome)
    every_base = np.concatenate(list(depth.values())) if depth else np.zeros(0)
    primary = flags.get("primary", 0)

    def rate(count: str, total: float) -> float:
        return round(flags.get(count, 0) / total, 6) if total else 0.0

    def share(mask: np.ndarray) -> float:
        return round(float(mask.mean()), 5) if mask.size else 0.0

    metrics = {
        "reads": primary,
        "mapping_rate": rate("primary mapped", primary),
        "duplicate_rate": rate("primary duplicates", primary),
        "properly_paired_rate": rate("properly paired", flags.get("paired in sequencing", 0)),
        "insert_size_median": float(np.median(inserts)) if inserts.size else 0.0,
        "insert_size_mean": round(float(inserts.mean()), 2) if inserts.size else 0.0,
        "insert_size_sd": round(float(inserts.std()), 2) if inserts.size else 0.0,
        "mean_depth": round(float(every_base.mean()), 3) if genome else 0.0,
        "median_depth": float(np.median(every_base)) if genome else 0.0,
        "fraction_1x": share(every_base >= 1),
        "fraction_10x": share(every_base >= 10),
        "fraction_20x": share(every_base >= 20),
        "window": window,
    }
    return {"metrics": metrics, "flagstat": flags, "windows": window_depth(depth, window)}


@gatk_env.task
async def alignment_qc(alignment: Alignment, window: int = 0, threads: int = 2) -> Table:
    """Alignment QC for notebooks: flagstat, rates, insert size, depth summary and windows.

    Args:
        alignment: A coordinate-sorted alignment.
        window: Window size in bp for the depth track; about 500 windows by default (0).
        threads: samtools threads.

    Returns:
        A JSON `Table` (``name="alignment_qc"``) with ``metrics``, ``flagstat`` and
        ``windows`` (contig, start, end, mean depth); read it with `json` or `pandas`.
    """
    bam = await alignment.fetch()
    report = await asyncio.to_thread(qc_metrics, bam, window or None, threads)
    metrics = report["metrics"]
    assert isinstance(metrics, dict)
    sample = alignment.sample_id or "sample"
    with tempfile.TemporaryDirectory(prefix="stargazer-qc-") as work:
        path = Path(work) / f"{sample}.alignment_qc.json"
        path.write_text(json.dumps(report, indent=1))
        return await Table.create(
            path,
            parents=[alignment],
            tool=TOOL,
            tool_version=tool_version(),
            params={"window": metrics["window"]},
            name="alignment_qc",
            sample_id=alignment.sample_id,
            format="json",
        )


__all__ = [
    "alignment_qc",
    "default_window",
    "depth_and_inserts",
    "flagstat",
    "qc_metrics",
    "window_depth",
]
