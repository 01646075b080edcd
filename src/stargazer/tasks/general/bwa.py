"""BWA-MEM through pybwa: index a reference and align reads into a sorted, indexed BAM.

pybwa runs bwa's own C code in this process (its alignments match `bwa mem`), but it is a
library, not the command line, so two things are done here that `bwa mem` does itself:

- **Pairing flags.** With interleaved input pybwa pairs the mates, rescues them and fills in
  RNEXT/PNEXT/TLEN, but sets no READ1/READ2 (0x40/0x80) and no PROPER_PAIR (0x2) flag, and
  `bcftools mpileup` then skips every read. `mark_pairs` sets them, judging proper pairs the way
  bwa does (FR orientation, insert size within the batch's own distribution).
- **Read names.** `/1` and `/2` suffixes are stripped, and R1/R2 names must agree pair by pair.

Alignment is streamed: reads are aligned in batches of about 10 Mbp per thread (bwa's `-K`),
each batch is given fixmate-style `MC`/`ms` tags (so `samtools markdup` can run next), sorted
in memory and written to a temporary BAM; the batches are merged into the final
coordinate-sorted BAM and indexed. No SAM is written and memory is bounded by the batch size.
With 2+ threads the batches run in two forked worker processes (sharing the loaded index),
so one batch's per-read Python work overlaps bwa on the next: pybwa holds the GIL.

    from stargazer.tasks.general.bwa import bwa_index, align_reads
    bwa_index("ref.fa")                       # ref.fa.amb .ann .bwt .pac .sa
    stats = align_reads("ref.fa", "s_R1.fq.gz", "s_R2.fq.gz", "s.bam", sample_id="s")
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from stargazer.config import gatk_env
from stargazer.types import Alignment, Reads, Reference

TOOL = "pybwa"
#: The BWA index files, by role (as in a `Reference` asset) and file suffix.
INDEX_SUFFIXES = {"amb": ".amb", "ann": ".ann", "bwt": ".bwt", "pac": ".pac", "sa": ".sa"}
#: bwa mem's `-K`: bases per batch per thread.
BATCH_BASES = 10_000_000
_FLAG_PAIRED, _FLAG_PROPER, _FLAG_UNMAPPED, _FLAG_MATE_UNMAPPED = 0x1, 0x2, 0x4, 0x8
_FLAG_REVERSE, _FLAG_READ1, _FLAG_READ2 = 0x10, 0x40, 0x80
_FLAG_SECONDARY, _FLAG_SUPPLEMENTARY = 0x100, 0x800


def tool_version() -> str:
    """The pybwa version that runs (bwa's C code is bundled with it)."""
    return version("pybwa")


def bwa_index(fasta: str | Path) -> dict[str, Path]:
    """Build the BWA index next to ``fasta`` (``bwa index``); returns role -> path."""
    from pybwa import BwaIndex

    fasta = Path(fasta)
    BwaIndex.index(fasta=fasta, prefix=fasta)
    return {role: Path(f"{fasta}{suffix}") for role, suffix in INDEX_SUFFIXES.items()}


def strip_mate_suffix(name: str) -> str:
    """``read/1`` -> ``read`` (as `bwa mem` does); other names are returned unchanged."""
    if len(name) > 2 and name[-2] == "/" and name[-1] in "12":
        return name[:-2]
    return name


@dataclass
class AlignStats:
    """Counts from one alignment run."""

    reads: int = 0
    mapped: int = 0
    pairs: int = 0
    proper_pairs: int = 0

    @property
    def mapping_rate(self) -> float:
        """Fraction of reads with a primary alignment."""
        return self.mapped / self.reads if self.reads else 0.0


def _batches(r1: Path, r2: Path | None, bases_per_batch: int) -> Iterator[list]:
    """Yield batches of queries: interleaved R1/R2 ``(name, sequence, quality)`` tuples.

    Names are stripped of ``/1`` and ``/2``. Plain tuples are cheap to send to a worker.
    """
    import pysam

    with pysam.FastxFile(str(r1)) as first:
        second = pysam.FastxFile(str(r2)) if r2 else None
        try:
            queries: list = []
            bases = 0
            number = 0
            for record in first:
                number += 1
                name = strip_mate_suffix(record.name)
                queries.append((name, record.sequence, record.quality))
                bases += len(record.sequence)
                if second is not None:
                    mate = next(second, None)
                    if mate is None:
                        raise ValueError(
                            f"R1 and R2 do not pair: {r2} ends after {number - 1} reads but "
                            f"{r1} has more (first unpaired: {record.name}). Give the two files "
                            "of the same sample and run, complete and in the same order."
                        )
                    mate_name = strip_mate_suffix(mate.name)
                    if mate_name != name:
                        raise ValueError(
                            f"R1 and R2 do not pair: read {number} is {record.name!r} in {r1} "
                            f"but {mate.name!r} in {r2}. Give the two files of the same sample "
                            "and run, in the same order (re-sort them by name if needed)."
                        )
                    queries.append((mate_name, mate.sequence, mate.quality))
                    bases += len(mate.sequence)
                if bases >= bases_per_batch:
                    yield queries
                    queries, bases = [], 0
            if second is not None and next(second, None) is not None:
                raise ValueError(
                    f"R1 and R2 do not pair: {r1} ends after {number} reads but {r2} has more. "
                    "Give the two files of the same sample and run, complete."
                )
            if queries:
                yield queries
        finally:
            if second is not None:
                second.close()


#: Phred+33 character -> its quality if >= 15, else 0 (samtools fixmate's ``ms`` rule).
_MS_VALUE = np.where(np.arange(256) - 33 >= 15, np.arange(256) - 33, 0).astype(np.int32)


def _mate_scores(qualities: list[str]) -> np.ndarray:
    """Per read, the sum of base qualities >= 15 (samtools fixmate's ``ms`` score)."""
    lengths = np.fromiter(map(len, qualities), dtype=np.int64, count=len(qualities))
    values = _MS_VALUE[np.frombuffer("".join(qualities).encode(), dtype=np.uint8)]
    sums = np.zeros(len(qualities), dtype=np.int32)
    if values.size:
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        nonempty = lengths > 0
        sums[nonempty] = np.add.reduceat(values, starts[nonempty])
    return sums


def _insert_bounds(inserts: list[int]) -> tuple[int, int]:
    """Proper-pair insert size bounds from a batch, as bwa's `mem_pestat` computes them."""
    if len(inserts) < 25:
        return 0, 10_000  # too few pairs to estimate; accept any sensible FR pair
    values = np.sort(np.asarray(inserts))
    p25, p75 = np.percentile(values, [25, 75])
    iqr = p75 - p25
    low, high = max(1.0, p25 - 2 * iqr), p75 + 2 * iqr
    kept = values[(values >= low) & (values <= high)]
    mean, std = kept.mean(), kept.std()
    bound_low = max(1.0, p25 - 3 * iqr, mean - 4 * std)
    bound_high = min(p75 + 3 * iqr, mean + 4 * std)
    return int(bound_low), int(bound_high + 0.5)


def _fr_insert(first, second) -> int | None:
    """Insert size of an FR pair of primary alignments on one contig, else None."""
    if first.is_unmapped or second.is_unmapped or first.reference_id != second.reference_id:
        return None
    if first.is_reverse == second.is_reverse:
        return None
    forward, reverse = (second, first) if first.is_reverse else (first, second)
    if forward.reference_start > reverse.reference_end:
        return None
    return reverse.reference_end - forward.reference_start


def _primary(records: list):
    """The primary record of one query's alignments (bwa lists it first)."""
    first = records[0]
    if len(records) == 1 or not first.flag & (_FLAG_SECONDARY | _FLAG_SUPPLEMENTARY):
        return first
    return next(r for r in records if not r.flag & (_FLAG_SECONDARY | _FLAG_SUPPLEMENTARY))


def mark_pairs(results: list, scores: np.ndarray, read_group: str, stats: AlignStats) -> list:
    """Set READ1/READ2/PROPER_PAIR flags and MC/ms/RG tags on interleaved pair results.

    Args:
        results: pybwa's output, one list of records per query (R1, R2, R1, R2, ...).
        scores: Per query, the fixmate ``ms`` score of that read.
        read_group: The read group ID put in each record's RG tag.
        stats: Counters to update.

    Returns:
        All records of the batch, flat.
    """
    pairs = []
    inserts = []
    for i in range(0, len(results), 2):
        first, second = _primary(results[i]), _primary(results[i + 1])
        insert = _fr_insert(first, second)
        pairs.append((first, second, insert))
        if insert is not None and first.mapping_quality > 0 and second.mapping_quality > 0:
            inserts.append(insert)
    low, high = _insert_bounds(inserts)
    mate_scores = scores.tolist()
    records = []
    query = 0
    for first, second, insert in pairs:
        proper = insert is not None and low <= insert <= high
        stats.pairs += 1
        stats.proper_pairs += proper
        for own, mate, read_flag in ((first, second, _FLAG_READ1), (second, first, _FLAG_READ2)):
            mate_score = mate_scores[query ^ 1]
            mate_cigar = None if mate.is_unmapped else mate.cigarstring
            stats.reads += 1
            stats.mapped += not own.is_unmapped
            for record in results[query]:
                flag = record.flag | _FLAG_PAIRED | read_flag
                record.flag = flag | _FLAG_PROPER if proper else flag & ~_FLAG_PROPER
                if mate_cigar is not None:
                    record.set_tag("MC", mate_cigar, value_type="Z")
                record.set_tag("ms", mate_score, value_type="i")
                record.set_tag("RG", read_group, value_type="Z")
                records.append(record)
            query += 1
    return records


def _sort_key(record) -> tuple[int, int]:
    tid = record.reference_id
    return (tid if tid >= 0 else 1 << 30, record.reference_start)


def read_group_header(
    sample_id: str, platform: str = "ILLUMINA", library: str | None = None, unit: str | None = None
) -> dict[str, str]:
    """The @RG line for a sample (ID and SM are the sample id unless a unit is given)."""
    group = {"ID": unit or sample_id, "SM": sample_id, "PL": platform, "LB": library or sample_id}
    if unit:
        group["PU"] = unit
    return group


def align_reads(
    reference: str | Path,
    r1: str | Path,
    r2: str | Path | None,
    out_bam: str | Path,
    *,
    sample_id: str,
    platform: str = "ILLUMINA",
    library: str | None = None,
    unit: str | None = None,
    threads: int = 2,
    bases_per_thread: int = BATCH_BASES,
    index: bool = True,
) -> AlignStats:
    """Align reads with BWA-MEM into a coordinate-sorted, indexed BAM.

    Args:
        reference: FASTA with its BWA index beside it (``bwa_index``).
        r1: Reads (FASTQ, gzipped or not); R1 for pairs.
        r2: R2 of a pair, or None for single-end reads.
        out_bam: The BAM to write (``.bai`` beside it).
        sample_id: Read group sample (SM) and, unless ``unit`` is given, ID.
        platform: Read group platform (PL).
        library: Read group library (LB); the sample id by default.
        unit: Platform unit (PU), e.g. flowcell.lane; becomes the read group ID.
        threads: bwa threads (and BAM compression threads).
        bases_per_thread: Batch size in bases per thread (bwa's ``-K``).
        index: Write the ``.bai`` (`Alignment.create` builds one itself when left out).

    Returns:
        Read, mapping and pairing counts.

    Raises:
        ValueError: R1 and R2 do not pair.
    """
    import pysam
    from pybwa import BwaIndex, BwaMem, BwaMemOptions

    reference, out_bam = Path(reference), Path(out_bam)
    paired = r2 is not None
    group = read_group_header(sample_id, platform, library, unit)
    options = BwaMemOptions(threads=threads, interleaved_paired_end=paired).finalize()
    index = BwaIndex(prefix=reference)
    aligner = BwaMem(index=index)
    header = index.header.to_dict()
    for sequence in header["SQ"]:
        sequence.pop("UR", None)  # a local path: it would make the BAM's bytes depend on it
    header["RG"] = [group]
    header["PG"] = [
        {"ID": "bwa", "PN": "bwa", "VN": f"pybwa-{tool_version()}", "CL": "pybwa BwaMem.align"}
    ]
    header["HD"] = {"VN": "1.6", "SO": "coordinate"}
    stats = AlignStats()
    workdir = Path(tempfile.mkdtemp(prefix="align-", dir=out_bam.parent))
    chunks: list[Path] = []
    workers = 2 if threads >= 2 else 1
    job = _BatchJob(aligner, options, header, group["ID"], paired, workdir)
    try:
        batches = _batches(Path(r1), Path(r2) if r2 else None, bases_per_thread * threads)
        if workers == 1:
            done = (job.run(number, queries) for number, queries in enumerate(batches))
        else:
            job.options = BwaMemOptions(
                threads=max(1, threads // workers), interleaved_paired_end=paired
            ).finalize()
            done = _in_workers(job, batches, workers)
        for chunk, batch_stats in done:
            chunks.append(chunk)
            stats.reads += batch_stats.reads
            stats.mapped += batch_stats.mapped
            stats.pairs += batch_stats.pairs
            stats.proper_pairs += batch_stats.proper_pairs
        _merge_sorted(chunks, out_bam, header, threads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if index:
        pysam.index("-@", str(threads), str(out_bam), catch_stdout=False)
    return stats


@dataclass
class _BatchJob:
    """Align one batch, set flags and tags, sort it and write it as an uncompressed BAM."""

    aligner: object
    options: object
    header: dict
    group_id: str
    paired: bool
    workdir: Path

    def run(self, number: int, batch: list[tuple[str, str, str]]) -> tuple[Path, AlignStats]:
        import pysam

        queries = [
            pysam.FastxRecord(name=name, sequence=sequence, quality=quality)
            for name, sequence, quality in batch
        ]
        results = self.aligner.align(queries, self.options)
        stats = AlignStats()
        if self.paired:
            scores = _mate_scores([quality or "" for _, _, quality in batch])
            records = mark_pairs(results, scores, self.group_id, stats)
        else:
            records = []
            for alignments in results:
                stats.reads += 1
                stats.mapped += not alignments[0].is_unmapped
                for record in alignments:
                    record.set_tag("RG", self.group_id, value_type="Z")
                    records.append(record)
        records.sort(key=_sort_key)
        chunk = self.workdir / f"chunk{number:05d}.bam"
        with pysam.AlignmentFile(str(chunk), "wbu", header=self.header) as out:
            for record in records:
                out.write(record)
        return chunk, stats


#: In a worker process, the job it runs (set by `_start_worker` when the pool forks it).
_JOB: _BatchJob | None = None


def _start_worker(job: _BatchJob) -> None:
    global _JOB
    _JOB = job


def _run_in_worker(number: int, batch: list[tuple[str, str, str]]) -> tuple[Path, AlignStats]:
    if _JOB is None:
        raise RuntimeError("align worker process started without its job (_start_worker)")
    return _JOB.run(number, batch)


def _in_workers(
    job: _BatchJob, batches: Iterator[list], workers: int
) -> Iterator[tuple[Path, AlignStats]]:
    """Run ``job`` on the batches in forked worker processes, yielding results in order.

    The workers are forked after the BWA index is loaded, so they share its memory;
    each batch is aligned and post-processed entirely in one worker, so the per-read Python
    work of one batch overlaps with bwa on the next (pybwa holds the GIL while it aligns).
    At most ``workers + 1`` batches are in flight, which bounds memory.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # The job reaches the workers through fork, not pickling: each pool gets its own, so
    # samples aligned at the same time (a cohort) never share one.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(job,)
    ) as pool:
        pending: deque = deque()
        try:
            for number, batch in enumerate(batches):
                pending.append(pool.submit(_run_in_worker, number, batch))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _merge_sorted(chunks: list[Path], out_bam: Path, header: dict, threads: int) -> None:
    """Merge coordinate-sorted, uncompressed chunk BAMs into one compressed BAM."""
    import pysam

    if not chunks:
        with pysam.AlignmentFile(str(out_bam), "wb", header=header):
            return
    pysam.samtools.merge(
        "-f",
        "-c",
        "-p",
        "--no-PG",
        "-@",
        str(threads),
        "-o",
        str(out_bam),
        *map(str, chunks),
        catch_stdout=False,
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
        reads: Paired or single-end reads; the read group's SM and PL come from it.
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
    missing = [role for role in INDEX_SUFFIXES if role not in reference.files]
    if missing:
        raise ValueError(
            f"reference {reference.names.get('primary', reference.id)} ({reference.id}) has no "
            f"BWA index ({', '.join(missing)} missing): run prepare_reference on it first and "
            "align to the reference it returns"
        )
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
            index=False,
        )
        if stats.mapping_rate < min_mapping_rate:
            raise ValueError(
                f"only {stats.mapping_rate:.1%} of the {stats.reads} reads of sample {sample} "
                f"({reads.names['primary']}) map to {reference.names['primary']}; "
                f"min_mapping_rate is {min_mapping_rate:.0%}. The reads probably come from "
                "another organism or the wrong reference (or are adapter dimers): check the "
                "sample and the reference build. Nothing was registered."
            )
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
