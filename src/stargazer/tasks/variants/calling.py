"""bcftools calling through pysam: the settings, regions of the genome, parts and the join.

A call set is made in parts: the genome is cut into regions of about equal length
(`plan_regions`), each region is called by ``bcftools mpileup | bcftools call`` in its own
process (`call_part`), and the parts are joined (`join_parts`): concatenated, left-aligned
with ``bcftools norm -f``, soft-filtered and written as a bgzipped VCF with a tabix index.
Regions are cut between positions, so every site is called in exactly one part and the
result is the same as one whole-genome run.

**Settings** (`MPILEUP_ARGS`, `CALL_ARGS`) were chosen by measurement: genotype-level F1
against the planted truth on four demo sets (1 Mb, 30x; easy seeds 1 and 11, hard seeds 2
and 12), every call counted. bcftools' own defaults won or tied everywhere:

- BAQ on (the default, applied where indels make it matter): ``-B`` (off) added 7 false
  SNVs on easy seed 1 and lost SNVs on hard; ``-D`` (BAQ everywhere) lost 8 SNVs on hard.
- Indels: the default model. ``--indels-cns`` lost 2 indels on easy, ``--indels-2.0`` added
  3 false ones on hard, the 1.12 profile (``-X 1.12``) and ``-h 100`` lost 30-37 on hard.
- ``--max-depth``, ``-q 1``: no measurable change at 30x; left at their defaults.
- ``call -m`` with the default prior (``-P 1.1e-3``, human heterozygosity). A larger prior
  recovers some hard-set hets (F1 +0.01 at ``-P 0.05``) but adds false calls on easy seed 11
  and would on any genome whose heterozygosity is human: the hard set's misses are hets
  whose reads come unevenly from the two haplotypes (its depth varies per haplotype), not
  a prior that is too strict.
- ``-a FORMAT/AD,FORMAT/DP,INFO/AD``: allele depths for users and filters; no effect on calls.

**FILTER**: calls are kept and marked: ``LowQual`` when QUAL is under ``min_qual`` (10: a 1 in
10 chance the site is not variant) and ``LowDepth`` when INFO/DP is under ``min_depth`` (3:
fewer reads cannot show both alleles of a het); ``bcftools filter -s`` declares both in the
header (``##FILTER=<ID=LowQual,...>``). The demo's simulated errors are independent, so its
false calls are wrong genotypes at high QUAL and the filters only mark true calls there
(hard: ~30 SNVs of ~980); on real reads low-QUAL, depth-2 calls are mostly artefacts. Report
both: PASS and all calls (`accuracy.score_vcf(pass_only=False)`).

pysam's ``bcftools`` wrappers return the output as text unless ``catch_stdout=False`` is
passed, and then ignore ``-o``; every call that writes a file here passes it.

    from stargazer.tasks.variants.calling import call_variants_files
    call_variants_files("ref.fa", ["s1.bam", "s2.bam"], "cohort.vcf.gz", threads=2)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from stargazer.tasks.general.reference_checks import reference_contigs
from stargazer.tasks.general.region_files import Region

#: ``bcftools mpileup`` settings (see the module docstring for why).
MPILEUP_ARGS = ("-a", "FORMAT/AD,FORMAT/DP,INFO/AD")
#: ``bcftools call`` settings: the multiallelic caller, variant sites only.
CALL_ARGS = ("-m", "-v")
#: Default FILTER thresholds: QUAL under this is ``LowQual``, INFO/DP under this ``LowDepth``.
MIN_QUAL, MIN_DEPTH = 10.0, 3
#: Genomes smaller than this are called in one process (starting workers would not pay).
PARALLEL_MIN_LENGTH = 500_000

_WORKER = """
import sys
import pysam.bcftools as bcftools
reference, regions, pileup, out, mpileup, call, *bams = sys.argv[1:]
bcftools.mpileup("--no-version", "-f", reference, "-R", regions, *mpileup.split(), "-Ou",
                 "-o", pileup, *bams, catch_stdout=False)
bcftools.call("--no-version", *call.split(), "-Ou", "-o", out, pileup, catch_stdout=False)
"""


def split_regions(contigs: list[tuple[str, int]], parts: int) -> list[list[Region]]:
    """Cut the genome into ``parts`` shares of about equal length (1-based, inclusive).

    Returns:
        One list of (contig, start, end) per part, in genome order.
    """
    total = sum(length for _, length in contigs)
    share = -(-total // max(1, parts))
    result: list[list[Region]] = [[]]
    room = share
    for name, length in contigs:
        start = 1
        while start <= length:
            if room == 0:
                result.append([])
                room = share
            end = min(length, start + room - 1)
            result[-1].append((name, start, end))
            room -= end - start + 1
            start = end + 1
    return [part for part in result if part]


def plan_regions(
    contigs: list[tuple[str, int]], region_size: int, min_parts: int = 1
) -> list[list[Region]]:
    """Calling shards: ``max(min_parts, genome / region_size)`` parts of about equal length.

    Small contigs share a part; a contig longer than a part is cut between positions.
    """
    total = sum(length for _, length in contigs)
    parts = max(min_parts, -(-total // max(1, region_size)))
    return split_regions(contigs, parts)


def region_text(part: list[Region]) -> str:
    """A part as ``chr1:1-5000,chr2:1-300`` (1-based, inclusive), for task inputs and logs."""
    return ",".join(f"{name}:{start}-{end}" for name, start, end in part)


def parse_regions(text: str) -> list[Region]:
    """The inverse of `region_text`.

    Raises:
        ValueError: A region is not written ``contig:start-end``.
    """
    regions = []
    for item in text.split(","):
        name, _, span = item.rpartition(":")
        start, _, end = span.partition("-")
        if not name or not start.isdigit() or not end.isdigit():
            raise ValueError(f"region {item!r} is not contig:start-end (e.g. chr1:1-5000)")
        regions.append((name, int(start), int(end)))
    return regions


def start_part(
    reference: Path, part: list[Region], out: Path, bams: list[str]
) -> subprocess.Popen[str]:
    """Start ``mpileup | call`` on one part in its own process; it writes ``out`` (BCF).

    The worker runs next to the reference and is given the FASTA by name, so the VCF header
    says ``##reference=file://<name>`` wherever the store keeps the file.
    """
    regions = out.with_suffix(".regions.tsv")
    regions.write_text("".join(f"{n}\t{s}\t{e}\n" for n, s, e in part))
    pileup = out.with_suffix(".pileup.bcf")
    paths = [str(p.resolve()) for p in (regions, pileup, out)]
    arguments = [" ".join(MPILEUP_ARGS), " ".join(CALL_ARGS)]
    bam_paths = [str(Path(b).resolve()) for b in bams]
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, reference.name, *paths, *arguments, *bam_paths],
        cwd=reference.resolve().parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(worker: subprocess.Popen[str], bams: list[str]) -> None:
    """Wait for a part's process.

    Raises:
        RuntimeError: bcftools failed; the message carries its error output.
    """
    _, error = worker.communicate()
    if worker.returncode != 0:
        raise RuntimeError(
            f"bcftools mpileup/call failed on {', '.join(map(str, bams))}: {error.strip()[-2000:]}"
        )


def join_parts(
    reference: Path,
    parts: list[Path],
    out_vcf: Path,
    min_qual: float = MIN_QUAL,
    min_depth: int = MIN_DEPTH,
) -> Path:
    """Concatenate parts in order, left-align, mark LowQual/LowDepth, bgzip and index.

    Args:
        reference: The FASTA the parts were called against.
        parts: VCF/BCF parts in genome order.
        out_vcf: Output path ending in ``.vcf.gz``; ``.tbi`` is written beside it.
        min_qual: QUAL under this gets FILTER ``LowQual`` (0: never).
        min_depth: INFO/DP under this gets FILTER ``LowDepth`` (0: never).
    """
    import pysam.bcftools as bcftools

    work = out_vcf.parent
    joined, normalised = work / f"{out_vcf.name}.joined.bcf", work / f"{out_vcf.name}.norm.bcf"
    bcftools.concat("--no-version", "-Ou", "-o", str(joined), *map(str, parts), catch_stdout=False)
    bcftools.norm(
        "--no-version", "-f", str(reference), "-Ou", "-o", str(normalised), str(joined),
        catch_stdout=False,
    )  # fmt: skip
    lowqual = work / f"{out_vcf.name}.lowqual.bcf"
    bcftools.filter(
        "--no-version", "-s", "LowQual", "-m", "+", "-e", f"QUAL<{min_qual:g}", "-Ou",
        "-o", str(lowqual), str(normalised), catch_stdout=False,
    )  # fmt: skip
    bcftools.filter(
        "--no-version", "-s", "LowDepth", "-m", "+", "-e", f"INFO/DP<{min_depth:d}", "-Oz",
        "-o", str(out_vcf), "--write-index=tbi", str(lowqual), catch_stdout=False,
    )  # fmt: skip
    for path in (joined, normalised, lowqual):
        path.unlink()
    return out_vcf


def call_variants_files(
    reference: str | Path,
    bams: Sequence[str | Path],
    out_vcf: str | Path,
    threads: int = 2,
    contigs: list[tuple[str, int]] | None = None,
    parallel_min_length: int = PARALLEL_MIN_LENGTH,
    min_qual: float = MIN_QUAL,
    min_depth: int = MIN_DEPTH,
) -> Path:
    """Call SNVs and indels jointly across BAMs into a normalised, filtered, indexed VCF.

    Args:
        reference: Indexed FASTA (``.fai`` beside it) the BAMs were aligned to.
        bams: Coordinate-sorted, indexed BAMs, one or more samples (read group SM).
        out_vcf: Output path ending in ``.vcf.gz``; ``.tbi`` is written beside it.
        threads: Worker processes for region-parallel calling.
        contigs: (name, length) of the reference contigs; read from the FASTA index by default.
        parallel_min_length: Genomes shorter than this are called in one process.
        min_qual: QUAL under this gets FILTER ``LowQual``.
        min_depth: INFO/DP under this gets FILTER ``LowDepth``.

    Returns:
        The VCF path.

    Raises:
        RuntimeError: bcftools failed; the message carries its error output.
    """
    reference, out_vcf = Path(reference), Path(out_vcf)
    contigs = contigs or reference_contigs(reference)
    genome = sum(length for _, length in contigs)
    parallel = genome >= parallel_min_length and threads > 1
    parts = split_regions(contigs, threads if parallel else 1)
    workdir = Path(tempfile.mkdtemp(prefix="call-", dir=out_vcf.parent))
    names = [str(b) for b in bams]
    try:
        outputs = [workdir / f"part{i}.bcf" for i in range(len(parts))]
        workers = [start_part(reference, p, o, names) for p, o in zip(parts, outputs, strict=True)]
        for worker in workers:
            finish(worker, names)
        join_parts(reference, outputs, out_vcf, min_qual, min_depth)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out_vcf


__all__ = [
    "CALL_ARGS",
    "MIN_DEPTH",
    "MIN_QUAL",
    "MPILEUP_ARGS",
    "PARALLEL_MIN_LENGTH",
    "Region",
    "call_variants_files",
    "finish",
    "join_parts",
    "parse_regions",
    "plan_regions",
    "region_text",
    "split_regions",
    "start_part",
]
