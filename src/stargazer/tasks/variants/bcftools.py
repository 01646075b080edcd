"""bcftools through pysam: joint germline calling (mpileup + call -m), normalised and indexed.

Calling is split by region across processes where it pays (a genome of at least 500 kb and
more than one thread): each worker runs ``bcftools mpileup | bcftools call -m -v`` on its share
of the genome, and the parts are concatenated, left-aligned with ``bcftools norm -f`` and
written as a bgzipped VCF with a tabix index. Regions are cut between positions, so every site
is called by exactly one worker and the result is the same as one whole-genome run.

pysam's ``bcftools`` wrappers return the output as text unless ``catch_stdout=False`` is
passed, and then ignore ``-o``; every call that writes a file here passes it.

    from stargazer.tasks.variants.bcftools import call_variants_files
    call_variants_files("ref.fa", ["s1.bam", "s2.bam"], "cohort.vcf.gz", threads=2)
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from stargazer.config import gatk_env
from stargazer.tasks.general.samtools import check_bam_matches_reference, reference_contigs
from stargazer.types import Alignment, Reference, Variants

TOOL = "bcftools"
#: Genomes smaller than this are called in one process (starting workers would not pay).
PARALLEL_MIN_LENGTH = 500_000
#: Per-sample FORMAT annotations added by mpileup.
ANNOTATIONS = "FORMAT/AD,FORMAT/DP"

_WORKER = f"""
import sys
import pysam.bcftools as bcftools
reference, regions, pileup, out, *bams = sys.argv[1:]
bcftools.mpileup("--no-version", "-f", reference, "-R", regions, "-a", "{ANNOTATIONS}",
                 "-Ou", "-o", pileup, *bams, catch_stdout=False)
bcftools.call("--no-version", "-m", "-v", "-Ou", "-o", out, pileup, catch_stdout=False)
"""


def tool_version() -> str:
    """The bcftools version inside pysam, e.g. ``1.24 (pysam 0.24.1)``."""
    import pysam
    import pysam.version

    return f"{pysam.version.__bcftools_version__} (pysam {pysam.__version__})"


def split_regions(contigs: list[tuple[str, int]], parts: int) -> list[list[tuple[str, int, int]]]:
    """Cut the genome into ``parts`` shares of about equal length (1-based, inclusive).

    Returns:
        One list of (contig, start, end) per part, in genome order.
    """
    total = sum(length for _, length in contigs)
    share = -(-total // parts)
    result: list[list[tuple[str, int, int]]] = [[]]
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


def _run_part(reference: Path, regions: Path, pileup: Path, out: Path, bams: list[str]):
    """Start one region worker.

    It runs next to the reference and is given the FASTA by name, so the VCF header says
    ``##reference=file://<name>`` wherever the store keeps the file.
    """
    paths = [str(p.resolve()) for p in (regions, pileup, out)]
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, reference.name, *paths, *bams],
        cwd=reference.resolve().parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def call_variants_files(
    reference: str | Path,
    bams: list[str | Path],
    out_vcf: str | Path,
    threads: int = 2,
    contigs: list[tuple[str, int]] | None = None,
    parallel_min_length: int = PARALLEL_MIN_LENGTH,
) -> Path:
    """Call SNVs and indels jointly across BAMs into a normalised, indexed ``.vcf.gz``.

    Args:
        reference: Indexed FASTA (``.fai`` beside it) the BAMs were aligned to.
        bams: Coordinate-sorted, indexed BAMs, one or more samples (read group SM).
        out_vcf: Output path ending in ``.vcf.gz``; ``.tbi`` is written beside it.
        threads: Worker processes for region-parallel calling.
        contigs: (name, length) of the reference contigs; read from the ``.fai`` by default.
        parallel_min_length: Genomes shorter than this are called in one process.

    Returns:
        The VCF path.

    Raises:
        RuntimeError: bcftools failed; the message carries its error output.
    """
    import pysam.bcftools as bcftools

    reference, out_vcf = Path(reference), Path(out_vcf)
    contigs = contigs or reference_contigs(f"{reference}.fai")
    genome = sum(length for _, length in contigs)
    parallel = genome >= parallel_min_length and threads > 1
    parts = split_regions(contigs, threads if parallel else 1)
    workdir = Path(tempfile.mkdtemp(prefix="call-", dir=out_vcf.parent))
    try:
        outputs = []
        workers = []
        for i, part in enumerate(parts):
            regions = workdir / f"part{i}.regions.tsv"
            regions.write_text("".join(f"{n}\t{s}\t{e}\n" for n, s, e in part))
            outputs.append(workdir / f"part{i}.bcf")
            pileup = workdir / f"part{i}.pileup.bcf"
            bam_paths = [str(Path(b).resolve()) for b in bams]
            workers.append(_run_part(reference, regions, pileup, outputs[-1], bam_paths))
        for worker in workers:
            _, error = worker.communicate()
            if worker.returncode != 0:
                raise RuntimeError(
                    f"bcftools mpileup/call failed on {', '.join(map(str, bams))}: "
                    f"{error.strip()[-2000:]}"
                )
        joined = workdir / "joined.bcf"
        bcftools.concat(
            "--no-version", "-Ou", "-o", str(joined), *map(str, outputs), catch_stdout=False
        )
        bcftools.norm(
            "--no-version",
            "-f",
            str(reference),
            "-Oz",
            "-o",
            str(out_vcf),
            "--write-index=tbi",
            str(joined),
            catch_stdout=False,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out_vcf


def _check_alignments(reference: Reference, alignments: list[Alignment]) -> None:
    """Refuse an empty list, repeated samples and BAMs made against another reference."""
    if not alignments:
        raise ValueError("call_variants needs at least one alignment; none was given")
    samples = [a.sample_id for a in alignments]
    repeated = sorted({s for s in samples if samples.count(s) > 1})
    if repeated:
        raise ValueError(
            f"sample {', '.join(repeated)} appears in more than one alignment; give one "
            "alignment per sample (merge a sample's BAMs first)"
        )
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


@gatk_env.task
async def call_variants(
    reference: Reference, alignments: list[Alignment], cohort: str = "", threads: int = 2
) -> Variants:
    """Call germline SNVs and indels with bcftools (mpileup + call -m), jointly for a cohort.

    Args:
        reference: The reference the alignments were made against (``.fai`` needed).
        alignments: Sorted, indexed alignments, one per sample (duplicates marked ideally).
        cohort: Name of the cohort for a joint call; by default the sample ids joined by ``_``.
        threads: Region-parallel worker processes.

    Returns:
        A bgzipped, tabix-indexed, left-aligned VCF with one column per sample.

    Raises:
        ValueError: No alignments, a sample given twice, or a BAM from another reference.
    """
    _check_alignments(reference, alignments)
    fasta = await reference.fetch()
    bams = []
    for alignment in alignments:
        bam = await alignment.fetch()
        dictionary = reference.companion("dict") if "dict" in reference.files else None
        await asyncio.to_thread(
            check_bam_matches_reference, bam, reference.companion("fai"), dictionary
        )
        bams.append(bam)
    samples = [a.sample_id for a in alignments]
    single = len(alignments) == 1
    name = samples[0] if single else (cohort or "_".join(samples))
    with tempfile.TemporaryDirectory(prefix="stargazer-call-") as work:
        out = Path(work) / f"{name or 'calls'}.vcf.gz"
        await asyncio.to_thread(call_variants_files, fasta, bams, out, threads)
        return await Variants.create(
            out,
            companions={"tbi": f"{out}.tbi"},
            parents=[reference, *alignments],
            tool=TOOL,
            tool_version=tool_version(),
            params={
                "mpileup": f"-a {ANNOTATIONS}",
                "call": "-m -v",
                "norm": "-f",
                "threads": threads,
            },
            sample_id=samples[0] if single else "",
            cohort="" if single else name,
            caller=TOOL,
        )
