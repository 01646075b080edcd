"""BWA-MEM through pybwa into a sorted BAM whose records are the ones `bwa mem` writes.

pybwa runs bwa's own C code in this process; `bwa_pairing.mark_batch` adds what the library
leaves out (pairing flags, see there), so each record equals `bwa mem -t T`'s for the same
reads and index, plus the ``ms`` tag ``samtools fixmate -m`` would add (``MC`` comes from bwa)
so `samtools markdup` can run next.

Alignment is streamed: reads are aligned in batches of 10 Mbp per thread (bwa's default
``-K``, so the per-batch insert-size statistics are bwa's), each batch is sorted in memory and
written as an uncompressed BAM; the batches are merged into the final BAM by samtools. With
2+ threads the batches run in two forked worker processes sharing the loaded index, so one
batch's per-record work overlaps bwa on the next (pybwa holds the GIL while it aligns).

    from stargazer.tasks.general.bwa_align import bwa_index, align_reads
    bwa_index("ref.fa")                       # ref.fa.amb .ann .bwt .pac .sa
    stats = align_reads("ref.fa", "s_R1.fq.gz", "s_R2.fq.gz", "s.bam", sample_id="s")
"""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pysam

from stargazer.tasks.general.bwa_pairing import mark_batch
from stargazer.tasks.general.bwa_reads import Query, batches, mate_scores

#: The BWA index files, by role (as in a `Reference` asset) and file suffix.
INDEX_SUFFIXES = {"amb": ".amb", "ann": ".ann", "bwt": ".bwt", "pac": ".pac", "sa": ".sa"}
#: BGZF level of the aligned BAM: it is an intermediate (markdup reads it next), so it is
#: written fast (level 1, as GATK and sambamba write intermediates) rather than small.
FAST_BAM = ("--output-fmt-option", "level=1")
#: bwa mem's default ``-K``: bases per batch per thread.
BATCH_BASES = 10_000_000


def tool_version() -> str:
    """The pybwa version that runs (bwa's C code is bundled with it)."""
    return version("pybwa")


#: ``bwa index -a auto``: genomes up to this many bases use the "is" algorithm, larger ones
#: "bwtsw" (bwa's own threshold; both give the same index files).
IS_MAX_BASES = 50_000_000


def _genome_size(fasta: Path) -> int:
    """Bases in the FASTA from its ``.fai``, or at most: its size (x4 when gzipped)."""
    fai = Path(f"{fasta}.fai")
    if fai.exists():
        return sum(int(line.split("\t")[1]) for line in fai.read_text().splitlines() if line)
    with open(fasta, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return fasta.stat().st_size * (4 if gzipped else 1)


def _index_method(fasta: Path) -> Any:
    """The pybwa build method that runs what ``bwa index`` runs for this genome.

    pybwa 2.3 hands its enum's value to bwa as the algorithm code, where bwa reads 1 as
    rb2, 2 as bwtsw and 3 as is; its ``AUTO`` (value 1) therefore builds with rb2, about
    1.7x slower than bwa's choice. The member is picked by value, to get bwa's choice.
    """
    from pybwa.libbwaindex import BwaIndexBuildMethod

    code = 2 if _genome_size(fasta) > IS_MAX_BASES else 3
    return next(method for method in BwaIndexBuildMethod if method.value == code)


def bwa_index(fasta: str | Path) -> dict[str, Path]:
    """Build the BWA index next to ``fasta`` (``bwa index``); returns role -> path.

    The files are byte for byte the ones ``bwa index`` writes (tests compare them).
    """
    from pybwa import BwaIndex

    fasta = Path(fasta)
    BwaIndex.index(fasta=fasta, prefix=fasta, method=_index_method(fasta))
    return {role: Path(f"{fasta}{suffix}") for role, suffix in INDEX_SUFFIXES.items()}


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

    def add(self, other: AlignStats) -> None:
        """Add another run's counts to these."""
        self.reads += other.reads
        self.mapped += other.mapped
        self.pairs += other.pairs
        self.proper_pairs += other.proper_pairs


def read_group_header(
    sample_id: str, platform: str = "ILLUMINA", library: str | None = None, unit: str | None = None
) -> dict[str, str]:
    """The @RG line for a sample (ID and SM are the sample id unless a unit is given)."""
    group = {"ID": unit or sample_id, "SM": sample_id, "PL": platform, "LB": library or sample_id}
    if unit:
        group["PU"] = unit
    return group


def _sort_key(record: Any) -> tuple[int, int]:
    tid = record.reference_id
    return (tid if tid >= 0 else 1 << 30, record.reference_start)


@dataclass
class _BatchJob:
    """Align one batch, set flags and tags, sort it and write it as an uncompressed BAM."""

    aligner: Any
    options: Any
    header: dict[str, Any]
    group_id: str
    paired: bool
    workdir: Path

    def run(self, number: int, batch: list[Query]) -> tuple[Path, AlignStats]:
        queries = [pysam.FastxRecord(name=n, sequence=s, quality=q or None) for n, s, q in batch]
        results = self.aligner.align(queries, self.options)
        stats = AlignStats(reads=len(results))
        stats.mapped = sum(not alignments[0].is_unmapped for alignments in results)
        if self.paired:
            scores = mate_scores([quality for _, _, quality in batch])
            reads = [sequence for _, sequence, _ in batch]
            records, stats.proper_pairs = mark_batch(results, reads, scores, self.group_id)
            stats.pairs = len(results) // 2
        else:
            records = []
            for alignments in results:
                for record in alignments:
                    record.set_tag("MQ", None)
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


def _run_in_worker(number: int, batch: list[Query]) -> tuple[Path, AlignStats]:
    if _JOB is None:
        raise RuntimeError("align worker process started without its job (_start_worker)")
    return _JOB.run(number, batch)


def _in_workers(
    job: _BatchJob, work: Iterator[list[Query]], workers: int
) -> Iterator[tuple[Path, AlignStats]]:
    """Run ``job`` on the batches in forked worker processes, yielding results in order.

    The workers are forked after the BWA index is loaded, so they share its memory; at most
    ``workers + 1`` batches are in flight, which bounds memory. Each pool gets its own job
    through fork (not pickling), so samples aligned at the same time never share one.
    """
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(job,)
    ) as pool:
        pending: deque[Future[tuple[Path, AlignStats]]] = deque()
        try:
            for number, batch in enumerate(work):
                pending.append(pool.submit(_run_in_worker, number, batch))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _mem_options(threads: int, paired: bool, batch_bases: int) -> Any:
    """The `bwa mem` options for one pybwa call per batch of ``batch_bases`` bases.

    pybwa's own -K re-chunking must not cut a batch (it would change the insert-size
    statistics bwa pairs with), hence a chunk size above the batch's.
    """
    from pybwa import BwaMemOptions

    return BwaMemOptions(
        threads=threads, interleaved_paired_end=paired, chunk_size=2 * batch_bases
    ).finalize()


def _align_batches(
    job: _BatchJob, work: Iterator[list[Query]], workers: int
) -> tuple[list[Path], AlignStats]:
    """Run ``job`` on every batch (here, or in ``workers`` processes): chunk BAMs in order."""
    if workers == 1:
        done: Iterator[tuple[Path, AlignStats]] = (
            job.run(number, batch) for number, batch in enumerate(work)
        )
    else:
        done = _in_workers(job, work, workers)
    chunks: list[Path] = []
    stats = AlignStats()
    for chunk, batch_stats in done:
        chunks.append(chunk)
        stats.add(batch_stats)
    return chunks, stats


def _merge_sorted(chunks: list[Path], out_bam: Path, header: dict[str, Any], threads: int) -> None:
    """Merge coordinate-sorted, uncompressed chunk BAMs into one compressed BAM."""
    if not chunks:
        with pysam.AlignmentFile(str(out_bam), "wb", header=header):
            return
    if len(chunks) == 1:
        pysam.samtools.view(
            "-b", *FAST_BAM, "--no-PG", "-@", str(threads), "-o", str(out_bam), str(chunks[0]),
            catch_stdout=False,
        )  # fmt: skip
        return
    pysam.samtools.merge(
        "-f", "-c", "-p", *FAST_BAM, "--no-PG", "-@", str(threads), "-o", str(out_bam),
        *map(str, chunks),
        catch_stdout=False,
    )  # fmt: skip


def _header(reference: Path, group: dict[str, str], index: Any) -> dict[str, Any]:
    header: dict[str, Any] = index.header.to_dict()
    for sequence in header["SQ"]:
        sequence.pop("UR", None)  # a local path: it would make the BAM's bytes depend on it
    header["RG"] = [group]
    header["PG"] = [
        {"ID": "bwa", "PN": "bwa", "VN": f"pybwa-{tool_version()}", "CL": "pybwa BwaMem.align"}
    ]
    header["HD"] = {"VN": "1.6", "SO": "coordinate"}
    return header


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
    """Align reads with BWA-MEM into a coordinate-sorted BAM (indexed unless ``index=False``).

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
    from pybwa import BwaIndex, BwaMem

    reference, out_bam = Path(reference), Path(out_bam)
    paired = r2 is not None
    group = read_group_header(sample_id, platform, library, unit)
    bwa_index_files = BwaIndex(prefix=reference)
    header = _header(reference, group, bwa_index_files)
    batch_bases = bases_per_thread * threads
    workers = 2 if threads >= 2 else 1
    options = _mem_options(max(1, threads // workers), paired, batch_bases)
    workdir = Path(tempfile.mkdtemp(prefix="align-", dir=out_bam.parent))
    job = _BatchJob(BwaMem(index=bwa_index_files), options, header, group["ID"], paired, workdir)
    try:
        chunks, stats = _align_batches(job, batches(r1, r2, batch_bases), workers)
        _merge_sorted(chunks, out_bam, header, threads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if index:
        pysam.samtools.index("-@", str(threads), str(out_bam), catch_stdout=False)
    return stats


__all__ = [
    "BATCH_BASES",
    "INDEX_SUFFIXES",
    "AlignStats",
    "align_reads",
    "bwa_index",
    "read_group_header",
    "tool_version",
]
