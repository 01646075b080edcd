"""samtools through pysam: FASTA index and dictionary, duplicate marking, alignment QC.

pysam runs samtools' own C code in this process. Its wrappers return the tool's stdout as
text unless ``catch_stdout=False`` is passed, and some (``view``) ignore ``-o`` otherwise, so
every call that writes a file here passes ``catch_stdout=False``.

    from stargazer.tasks.general.samtools import faidx, sequence_dictionary, markdup, qc_metrics
    faidx("ref.fa"); sequence_dictionary("ref.fa")          # ref.fa.fai, ref.dict
    metrics = markdup("in.bam", "out.bam")                  # needs MC/ms tags (bwa.align_reads)
    report = qc_metrics("out.bam", window=10_000)           # flagstat, insert size, depth
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from stargazer.config import gatk_env
from stargazer.types import Alignment, Table

if TYPE_CHECKING:
    import numpy as np

TOOL = "samtools"


def tool_version() -> str:
    """The samtools version inside pysam, e.g. ``1.24 (pysam 0.24.1)``."""
    import pysam

    return f"{pysam.__samtools_version__} (pysam {pysam.__version__})"


def fasta_names(fasta: str | Path) -> list[str]:
    """Sequence names of a plain FASTA, in order (the first word of each ``>`` line)."""
    names = []
    with open(fasta, "rb") as handle:
        for line in handle:
            if line.startswith(b">"):
                fields = line[1:].split()
                names.append(fields[0].decode() if fields else "")
    return names


def check_unique_contigs(fasta: str | Path) -> list[str]:
    """The contig names of ``fasta``; raises if any is empty or repeated.

    Raises:
        ValueError: Duplicate or empty contig names.
    """
    names = fasta_names(fasta)
    seen: set[str] = set()
    repeated = sorted({name for name in names if name in seen or seen.add(name)})
    if repeated:
        raise ValueError(
            f"reference {fasta} has duplicate contig names: {', '.join(repeated[:5])}. Each "
            "contig must be named once; rename or drop the duplicates (e.g. `seqkit rmdup -n`)."
        )
    if "" in names or not names:
        raise ValueError(f"reference {fasta} has no named contigs: every '>' line needs a name.")
    return names


def faidx(fasta: str | Path) -> Path:
    """``samtools faidx``: write ``<fasta>.fai``."""
    import pysam

    pysam.faidx(str(fasta), catch_stdout=False)
    return Path(f"{fasta}.fai")


def sequence_dictionary(fasta: str | Path, out: str | Path | None = None) -> Path:
    """``samtools dict``: write the sequence dictionary (``ref.dict`` for ``ref.fa``)."""
    import pysam

    fasta = Path(fasta)
    out = Path(out) if out else fasta.with_suffix(".dict")
    # `-u NAME`: by default the UR tag holds the FASTA's absolute path, which would make the
    # .dict (and every asset derived from it) depend on where the store lives.
    pysam.samtools.dict("-u", fasta.name, "-o", str(out), str(fasta), catch_stdout=False)
    return out


def index_bam(bam: str | Path, threads: int = 2) -> Path:
    """``samtools index``: write ``<bam>.bai``."""
    import pysam

    pysam.samtools.index("-@", str(threads), str(bam), catch_stdout=False)
    return Path(f"{bam}.bai")


def reference_contigs(fai: str | Path) -> list[tuple[str, int]]:
    """(name, length) of each contig in a FASTA index."""
    rows = []
    for line in Path(fai).read_text().splitlines():
        fields = line.split("\t")
        rows.append((fields[0], int(fields[1])))
    return rows


def dictionary_md5s(dictionary: str | Path) -> dict[str, str]:
    """Contig -> M5 (sequence MD5) from a sequence dictionary (``samtools dict``)."""
    md5s = {}
    for line in Path(dictionary).read_text().splitlines():
        if line.startswith("@SQ"):
            tags = dict(field.split(":", 1) for field in line.split("\t")[1:] if ":" in field)
            if "SN" in tags and "M5" in tags:
                md5s[tags["SN"]] = tags["M5"]
    return md5s


def check_bam_matches_reference(
    bam: str | Path, fai: str | Path, dictionary: str | Path | None = None
) -> None:
    """Raise unless the BAM's @SQ lines are the reference's contigs.

    Names and lengths must agree; when both the BAM header and the reference's sequence
    dictionary carry sequence MD5s (``M5``, as `align` and ``samtools dict`` write them),
    those must agree too, which tells apart two genomes with the same contig names and sizes.

    Raises:
        ValueError: The BAM was aligned to another reference.
    """
    import pysam

    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        in_bam = list(zip(handle.references, handle.lengths, strict=True))
        bam_md5s = {
            sq["SN"]: sq["M5"] for sq in handle.header.to_dict().get("SQ", []) if "M5" in sq
        }
    expected = reference_contigs(fai)
    advice = (
        "Align the reads to this reference first, or call variants against the reference the "
        "BAM was made with."
    )
    if in_bam != expected:
        differing = sorted(set(in_bam) ^ set(expected))[:3]
        raise ValueError(
            f"{bam} was aligned to another reference: its contigs differ from {fai} "
            f"(e.g. {', '.join(f'{n}:{length}' for n, length in differing)}). {advice}"
        )
    reference_md5s = dictionary_md5s(dictionary) if dictionary else {}
    for name, md5 in bam_md5s.items():
        if name in reference_md5s and reference_md5s[name] != md5:
            raise ValueError(
                f"{bam} was aligned to another reference: contig {name} has the same name and "
                f"length but another sequence (MD5 {md5} in the BAM, {reference_md5s[name]} "
                f"in {dictionary}). {advice}"
            )


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
    import pysam

    out_bam = Path(out_bam)
    stats_file = out_bam.with_name(out_bam.name + ".markdup.txt")
    args = ["-@", str(threads), "-s", "-f", str(stats_file), "--no-PG"]
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


def flagstat(bam: str | Path, threads: int = 2) -> dict[str, int]:
    """``samtools flagstat -O tsv`` as {metric: QC-passed count}."""
    import pysam

    text = pysam.samtools.flagstat("-@", str(threads), "-O", "tsv", str(bam))
    counts = {}
    for line in text.splitlines():
        passed, _failed, name = line.split("\t")
        if passed.isdigit():
            counts[name] = int(passed)
    return counts


#: Reads left out of depth (as mosdepth): unmapped, secondary, QC-failed, duplicate.
DEPTH_EXCLUDE = 0x4 | 0x100 | 0x200 | 0x400


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
    import pysam

    with pysam.AlignmentFile(str(bam), "rb", threads=threads) as handle:
        names, lengths = handle.references, handle.lengths
        starts: list[list[int]] = [[] for _ in names]
        ends: list[list[int]] = [[] for _ in names]
        inserts: list[int] = []
        for record in handle.fetch(until_eof=True):
            flag = record.flag
            if flag & DEPTH_EXCLUDE or flag & 0x800:
                continue
            tid = record.reference_id
            starts[tid].append(record.reference_start)
            ends[tid].append(record.reference_end)
            if flag & 0x42 == 0x42:
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
    magnitude = 10 ** (len(str(target)) - 1)
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


def has_mate_tags(bam: str | Path, sample: int = 1000) -> bool:
    """Whether the first paired records carry ``ms`` and ``MC`` (needed by markdup)."""
    import pysam

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
    import pysam

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


def _write_tsv(rows: dict[str, object], path: Path) -> Path:
    lines = ["metric\tvalue", *(f"{key}\t{value}" for key, value in rows.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


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
        marked = await Alignment.create(
            out,
            parents=[alignment],
            tool=TOOL,
            tool_version=tool_version(),
            params={"command": "markdup -s"},  # not threads: it cannot change the output
            sample_id=alignment.sample_id,
            reference_id=alignment.reference_id,
            sorted=True,
            duplicates_marked=True,
        )
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
    sample = alignment.sample_id or "sample"
    with tempfile.TemporaryDirectory(prefix="stargazer-qc-") as work:
        path = Path(work) / f"{sample}.alignment_qc.json"
        path.write_text(json.dumps(report, indent=1))
        return await Table.create(
            path,
            parents=[alignment],
            tool=TOOL,
            tool_version=tool_version(),
            params={"window": report["metrics"]["window"]},
            name="alignment_qc",
            sample_id=alignment.sample_id,
            format="json",
        )
