"""Germline demo data with planted truth: a reference, diploid samples, paired reads, a truth VCF.

Everything is simulated with numpy, deterministic by seed, in seconds::

    from stargazer.demo.germline import GermlineSpec, generate

    demo = generate(GermlineSpec(size=20_000, coverage=20, samples=1, seed=7), "out/")
    demo.reference          # out/reference.fa (several contigs)
    demo.reads["sample1"]   # (out/sample1_R1.fastq.gz, out/sample1_R2.fastq.gz)
    demo.truth              # out/truth.vcf.gz (+ .tbi), left-aligned, one column per sample

The model, in short:

- **Reference**: three contigs of random sequence (GC 41%). The ``hard`` setting adds segmental
  duplications (1-4 kb copies, some exact, most 1-3% diverged), long homopolymers and short
  tandem repeats, and halves the coverage with uneven (log-normal, per kb) depth.
- **Variants**: SNVs (about 1/1000 bp, Ti/Tv about 2) and short indels (1-10 bp, about 1/5000 bp),
  het or hom-alt; kept 300 bp away from contig ends and 12 bp away from each other, written
  left-aligned. In ``hard`` mode a third of the indels land in homopolymers and repeats. With
  several samples each site has an allele frequency and genotypes follow Hardy-Weinberg.
- **Reads**: 150 bp pairs from fragments of 350 +- 50 bp on both haplotypes, 4% PCR duplicates,
  substitution errors rising from 0.1% to 1% along the read (R2 worse than R1, some reads
  worse than others) with qualities that track the error rate, rare 1 bp indel errors (more in
  homopolymers), and rare N calls. Read names end in ``/1`` and ``/2``; order is shuffled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stargazer.demo.germline_genome import haplotypes, make_reference, plant_variants
from stargazer.demo.germline_reads import simulate_pairs, write_fastq_pair
from stargazer.demo.germline_spec import BASES, GermlineDemo, GermlineSpec, Variant, parse_size


def write_fasta(contigs: dict[str, np.ndarray], path: Path, width: int = 60) -> None:
    """Write contigs as FASTA with fixed-width lines."""
    with open(path, "wb") as out:
        for name, seq in contigs.items():
            out.write(f">{name}\n".encode())
            text = BASES[seq]
            full = len(text) // width * width
            if full:
                rows = text[:full].reshape(-1, width)
                newline = np.full((rows.shape[0], 1), ord("\n"), dtype=np.uint8)
                out.write(np.concatenate([rows, newline], axis=1).tobytes())
            if full < len(text):
                out.write(text[full:].tobytes() + b"\n")


def write_truth_vcf(
    variants: list[Variant], contigs: dict[str, np.ndarray], samples: list[str], path: Path
) -> Path:
    """Write the planted variants as a bgzipped, tabix-indexed VCF; returns the .vcf.gz path."""
    import pysam

    plain = path.with_suffix("") if path.suffix == ".gz" else path
    genotype = {0: "0/0", 1: "0/1", 2: "1/1"}
    lines = [
        "##fileformat=VCFv4.2",
        "##source=stargazer.demo.germline",
        *(f"##contig=<ID={name},length={len(seq)}>" for name, seq in contigs.items()),
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples),
    ]
    for v in variants:
        calls = "\t".join(genotype[g] for g in v.genotypes)
        lines.append(f"{v.contig}\t{v.pos + 1}\t.\t{v.ref}\t{v.alt}\t.\tPASS\t.\tGT\t{calls}")
    plain.write_text("\n".join(lines) + "\n")
    compressed = pysam.tabix_index(str(plain), preset="vcf", force=True)
    return Path(compressed)


def generate(spec: GermlineSpec, outdir: str | Path) -> GermlineDemo:
    """Simulate a data set and write it under ``outdir``.

    Args:
        spec: What to simulate.
        outdir: Folder for ``reference.fa``, ``<sample>_R1/R2.fastq.gz`` and ``truth.vcf.gz``.

    Returns:
        The paths written and the planted variants.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed)
    contigs = make_reference(spec, rng)
    variants = plant_variants(spec, contigs, rng)
    reference = outdir / "reference.fa"
    write_fasta(contigs, reference)
    truth = write_truth_vcf(variants, contigs, spec.sample_ids, outdir / "truth.vcf.gz")
    by_contig: dict[str, list[Variant]] = {name: [] for name in contigs}
    for variant in variants:
        by_contig[variant.contig].append(variant)
    reads: dict[str, tuple[Path, Path]] = {}
    for index, sample in enumerate(spec.sample_ids):
        pairs = []
        for name, seq in contigs.items():
            for hap in haplotypes(seq, by_contig[name], index, rng):
                pairs.append(simulate_pairs(spec, hap, spec.effective_coverage / 2, rng))
        r1, r2 = outdir / f"{sample}_R1.fastq.gz", outdir / f"{sample}_R2.fastq.gz"
        write_fastq_pair(sample, pairs, rng, r1, r2)
        reads[sample] = (r1, r2)
    return GermlineDemo(
        spec=spec,
        reference=reference,
        reads=reads,
        truth=truth,
        variants=variants,
        contigs={name: len(seq) for name, seq in contigs.items()},
    )


__all__ = ["GermlineDemo", "GermlineSpec", "Variant", "generate", "parse_size"]
