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

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
COMPLEMENT = np.frombuffer(b"TGCA", dtype=np.uint8)
TRANSITION = np.array([2, 3, 0, 1])  # A<->G, C<->T as codes 0..3
DIFFICULTIES = ("easy", "hard")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(bp|b|kb|k|mb|m|gb|g)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "bp": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9}


def parse_size(text: str | int) -> int:
    """Parse a genome size such as ``"1Mb"``, ``"20kb"`` or ``"5000"`` into base pairs.

    Raises:
        ValueError: The text is not a size.
    """
    if isinstance(text, int):
        return text
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"size {text!r} is not a size: write e.g. 20kb, 1Mb or 5000000")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


@dataclass(frozen=True)
class GermlineSpec:
    """What to simulate; validated on construction.

    Attributes:
        size: Total reference length in bp (at least 10 kb).
        coverage: Mean read depth (before the hard setting halves it).
        samples: Number of diploid samples.
        difficulty: ``easy`` or ``hard``.
        seed: Random seed; the same spec always gives the same bytes.
        read_length: Read length in bp.
        fragment_mean: Mean fragment (insert) length.
        fragment_sd: Standard deviation of the fragment length.
    """

    size: int = 1_000_000
    coverage: float = 30.0
    samples: int = 1
    difficulty: str = "easy"
    seed: int = 0
    read_length: int = 150
    fragment_mean: int = 350
    fragment_sd: int = 50

    def __post_init__(self) -> None:
        if self.size < 10_000:
            raise ValueError(f"size must be at least 10 kb, got {self.size} bp")
        if not 0 < self.coverage <= 500:
            raise ValueError(f"coverage must be in (0, 500], got {self.coverage}")
        if not 1 <= self.samples <= 100:
            raise ValueError(f"samples must be between 1 and 100, got {self.samples}")
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(
                f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {self.difficulty!r}"
            )
        if self.fragment_mean - 3 * self.fragment_sd < self.read_length // 2:
            raise ValueError(
                f"fragments of {self.fragment_mean} +- {self.fragment_sd} bp are too short for "
                f"{self.read_length} bp reads"
            )

    @property
    def sample_ids(self) -> list[str]:
        """Sample names: ``sample1``, ``sample2``, ..."""
        return [f"sample{i + 1}" for i in range(self.samples)]

    @property
    def effective_coverage(self) -> float:
        """Mean depth actually simulated (the hard setting halves it)."""
        return self.coverage / 2 if self.difficulty == "hard" else self.coverage


@dataclass(frozen=True)
class Variant:
    """One planted variant, left-aligned, with a genotype per sample (0, 1 or 2 alt copies)."""

    contig: str
    pos: int  # 0-based position of the first REF base
    ref: str
    alt: str
    genotypes: tuple[int, ...]

    @property
    def is_snv(self) -> bool:
        """True for a single-base substitution."""
        return len(self.ref) == 1 and len(self.alt) == 1


@dataclass
class GermlineDemo:
    """Paths of a generated demo data set."""

    spec: GermlineSpec
    reference: Path
    reads: dict[str, tuple[Path, Path]]
    truth: Path
    variants: list[Variant] = field(repr=False)
    contigs: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Counts of planted variants by kind and genotype (over all samples)."""
        counts = {"snv": 0, "indel": 0, "het": 0, "hom": 0}
        for variant in self.variants:
            counts["snv" if variant.is_snv else "indel"] += 1
            for genotype in variant.genotypes:
                if genotype == 1:
                    counts["het"] += 1
                elif genotype == 2:
                    counts["hom"] += 1
        return counts


# --------------------------------------------------------------------------- reference


def _contig_lengths(size: int) -> list[int]:
    fractions = (0.5, 0.3, 0.2)
    lengths = [int(size * f) for f in fractions]
    lengths[0] += size - sum(lengths)
    return lengths


def _random_sequence(rng: np.random.Generator, length: int) -> np.ndarray:
    return rng.choice(4, size=length, p=[0.295, 0.205, 0.205, 0.295]).astype(np.uint8)


def _add_hard_features(rng: np.random.Generator, contigs: dict[str, np.ndarray]) -> None:
    """Segmental duplications, homopolymers and tandem repeats, in place."""
    names = list(contigs)
    total = sum(len(seq) for seq in contigs.values())
    # Segmental duplications: ~6% of the genome copied elsewhere, a quarter of them exact.
    copied = 0
    longest = max(len(seq) for seq in contigs.values())
    while copied < 0.06 * total:
        length = int(rng.integers(1000, 4000))
        source = contigs[names[rng.integers(len(names))]]
        target = contigs[names[rng.integers(len(names))]]
        length = min(length, len(source) // 4, len(target) // 4, longest // 4)
        start = int(rng.integers(300, len(source) - length - 300))
        segment = source[start : start + length].copy()
        if rng.random() > 0.25:
            divergence = rng.uniform(0.01, 0.03)
            hits = rng.random(length) < divergence
            segment[hits] = (segment[hits] + rng.integers(1, 4, hits.sum())) % 4
        where = int(rng.integers(300, len(target) - length - 300))
        target[where : where + length] = segment
        copied += length
    for seq in contigs.values():
        # Homopolymers (8-25 bp) about every 1.5 kb; STRs (2-4 bp unit x 5-15) every 2 kb.
        for start in rng.integers(300, len(seq) - 300, len(seq) // 1500):
            run = int(rng.integers(8, 26))
            seq[start : start + run] = rng.integers(4)
        for start in rng.integers(300, len(seq) - 300, len(seq) // 2000):
            unit = rng.integers(4, size=int(rng.integers(2, 5)))
            repeat = np.tile(unit, int(rng.integers(5, 16)))[: len(seq) - start]
            seq[start : start + len(repeat)] = repeat


def make_reference(spec: GermlineSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Contig name -> sequence as base codes (0..3 for A, C, G, T)."""
    contigs = {
        f"chr{i + 1}": _random_sequence(rng, length)
        for i, length in enumerate(_contig_lengths(spec.size))
    }
    if spec.difficulty == "hard":
        _add_hard_features(rng, contigs)
    return contigs


# --------------------------------------------------------------------------- variants


def _decode(codes: np.ndarray) -> str:
    return BASES[codes].tobytes().decode()


def _left_align(seq: np.ndarray, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Shift an indel (VCF style, with its anchor base at ``pos``) as far left as it goes."""
    if len(ref) == len(alt):
        return pos, ref, alt
    deletion = len(ref) > len(alt)
    body = ref[1:] if deletion else alt[1:]
    start = pos + 1  # first base of the inserted/deleted body
    while start > 1 and _decode(seq[start - 1 : start]) == body[-1]:
        body = body[-1] + body[:-1]
        start -= 1
    anchor = _decode(seq[start - 1 : start])
    if deletion:
        return start - 1, anchor + body, anchor
    return start - 1, anchor, anchor + body


def _repeat_positions(seq: np.ndarray) -> np.ndarray:
    """Positions inside runs of identical bases (>= 6) or 2-bp repeats, for hard-mode indels."""
    same = np.flatnonzero(seq[1:] == seq[:-1]) + 1
    period2 = np.flatnonzero(seq[2:] == seq[:-2]) + 2
    candidates = np.union1d(same, period2)
    if len(candidates) == 0:
        return candidates
    # keep positions whose neighbourhood repeats for several bases
    keep = [p for p in candidates[:: max(1, len(candidates) // 20000)] if _in_repeat(seq, int(p))]
    return np.array(keep, dtype=np.int64)


def _in_repeat(seq: np.ndarray, pos: int) -> bool:
    window = seq[max(0, pos - 6) : pos + 6]
    if len(window) < 12:
        return False
    return bool(np.all(window[1:] == window[:-1]) or np.all(window[2:] == window[:-2]))


def _genotypes(rng: np.random.Generator, samples: int) -> tuple[int, ...]:
    if samples == 1:
        return (1,) if rng.random() < 0.6 else (2,)
    while True:
        frequency = rng.uniform(0.1, 0.9)
        drawn = tuple(int(g) for g in rng.binomial(2, frequency, samples))
        if any(drawn):
            return drawn


def plant_variants(
    spec: GermlineSpec, contigs: dict[str, np.ndarray], rng: np.random.Generator
) -> list[Variant]:
    """Draw SNVs and short indels, left-aligned and spaced, sorted by contig and position."""
    site_scale = 1.0 if spec.samples == 1 else 0.7
    variants: list[Variant] = []
    for name, seq in contigs.items():
        length = len(seq)
        n_snv = rng.poisson(length / 1000 * site_scale)
        n_indel = rng.poisson(length / 5000 * site_scale)
        positions = [(int(p), "snv") for p in rng.integers(300, length - 300, n_snv)]
        indel_positions = rng.integers(300, length - 300, n_indel)
        if spec.difficulty == "hard" and n_indel:
            repeats = _repeat_positions(seq[300 : length - 300]) + 300
            if len(repeats):
                in_repeat = rng.random(n_indel) < 1 / 3
                indel_positions[in_repeat] = rng.choice(repeats, in_repeat.sum())
        positions += [(int(p), "indel") for p in indel_positions]
        positions.sort()
        last_end = -1_000
        for pos, kind in positions:
            ref_base = int(seq[pos])
            if kind == "snv":
                if rng.random() < 2 / 3:
                    alt_base = int(TRANSITION[ref_base])
                else:
                    transition = int(TRANSITION[ref_base])
                    transversions = [b for b in range(4) if b not in (ref_base, transition)]
                    alt_base = int(rng.choice(transversions))
                vpos, ref, alt = pos, _decode(seq[pos : pos + 1]), _decode(np.array([alt_base]))
            else:
                size = int(min(10, rng.geometric(0.45)))
                if rng.random() < 0.5:  # deletion
                    ref, alt = _decode(seq[pos : pos + size + 1]), _decode(seq[pos : pos + 1])
                else:
                    inserted = _decode(rng.integers(4, size=size))
                    ref, alt = _decode(seq[pos : pos + 1]), _decode(seq[pos : pos + 1]) + inserted
                vpos, ref, alt = _left_align(seq, pos, ref, alt)
                if ref == alt:
                    continue
            # keep variants apart so each one stays unambiguous after normalisation
            if vpos - 12 <= last_end or vpos < 300:
                continue
            variants.append(Variant(name, vpos, ref, alt, _genotypes(rng, spec.samples)))
            last_end = vpos + len(ref) - 1
    return variants


def haplotypes(
    seq: np.ndarray, variants: list[Variant], sample: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The two haplotypes of one sample on one contig (hets phased at random)."""
    pieces: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
    cursor = 0
    lookup = {ord(b): i for i, b in enumerate("ACGT")}
    for variant in variants:
        copies = variant.genotypes[sample]
        if copies == 0:
            continue
        carriers = (0, 1) if copies == 2 else ((0,) if rng.random() < 0.5 else (1,))
        before = seq[cursor : variant.pos]
        alt = np.array([lookup[ord(b)] for b in variant.alt], dtype=np.uint8)
        ref = seq[variant.pos : variant.pos + len(variant.ref)]
        for h in (0, 1):
            pieces[h].append(before)
            pieces[h].append(alt if h in carriers else ref)
        cursor = variant.pos + len(variant.ref)
    for h in (0, 1):
        pieces[h].append(seq[cursor:])
    return np.concatenate(pieces[0]), np.concatenate(pieces[1])


# --------------------------------------------------------------------------- reads


@dataclass
class _Pairs:
    r1: np.ndarray  # (n, L) base codes, 4 = N
    r2: np.ndarray
    q1: np.ndarray  # (n, L) phred
    q2: np.ndarray


def _error_profile(length: int, second: bool) -> np.ndarray:
    ramp = np.linspace(0.0, 1.0, length)
    rate = 0.001 + 0.009 * ramp**2
    return rate * (1.6 if second else 1.0)


def _sequence_reads(
    rng: np.random.Generator, fragments: np.ndarray, second: bool, spec: GermlineSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Add substitution errors, N calls and qualities to error-free reads (codes 0..3)."""
    n, length = fragments.shape
    profile = _error_profile(length, second)
    read_scale = rng.lognormal(0.0, 0.5, size=(n, 1))
    rate = np.clip(profile[None, :] * read_scale, 1e-4, 0.25)
    errors = rng.random((n, length)) < rate
    reads = fragments.copy()
    reads[errors] = (reads[errors] + rng.integers(1, 4, errors.sum())) % 4
    phred = -10 * np.log10(rate) + rng.normal(0, 2.0, size=(n, length))
    phred[errors] -= rng.uniform(0, 12, errors.sum())  # errors tend to get lower qualities
    quals = np.clip(np.rint(phred), 2, 41).astype(np.uint8)
    no_call = rng.random((n, length)) < 2e-4
    reads[no_call] = 4
    quals[no_call] = 2
    return reads, quals


def _indel_errors(
    rng: np.random.Generator, hap: np.ndarray, starts: np.ndarray, length: int, hard: bool
) -> np.ndarray:
    """Forward-strand read windows, a few with a 1 bp indel error (more in homopolymers)."""
    windows = hap[starts[:, None] + np.arange(length)]
    chosen = np.flatnonzero(rng.random(len(starts)) < (0.004 if hard else 0.002))
    for i in chosen:
        window = hap[starts[i] : starts[i] + length + 1]
        if len(window) <= length:
            continue
        runs = np.flatnonzero(window[1:-1] == window[:-2]) + 1
        in_run = len(runs) and rng.random() < 0.7
        at = int(rng.choice(runs)) if in_run else int(rng.integers(1, length))
        deletion = rng.random() < 0.5
        edited = np.delete(window, at) if deletion else np.insert(window, at, window[at])
        windows[i] = edited[:length]
    return windows


def simulate_pairs(
    spec: GermlineSpec, hap: np.ndarray, depth: float, rng: np.random.Generator
) -> _Pairs:
    """Paired reads from one haplotype at the given mean depth."""
    length = spec.read_length
    n_fragments = round(depth * len(hap) / (2 * length))
    sizes = np.clip(
        np.rint(rng.normal(spec.fragment_mean, spec.fragment_sd, n_fragments)),
        length,
        len(hap) - 1,
    ).astype(np.int64)
    if spec.difficulty == "hard":  # uneven depth: log-normal weight per kb window
        windows = max(1, len(hap) // 1000)
        weights = rng.lognormal(0.0, 0.6, windows)
        window = rng.choice(windows, n_fragments, p=weights / weights.sum())
        starts = window * 1000 + rng.integers(0, 1000, n_fragments)
    else:
        starts = rng.integers(0, len(hap), n_fragments)
    starts = np.minimum(starts, len(hap) - sizes - 1).clip(0)
    # PCR duplicates: 4% of fragments read twice (independent sequencing errors)
    duplicated = np.flatnonzero(rng.random(n_fragments) < 0.04)
    starts = np.concatenate([starts, starts[duplicated]])
    sizes = np.concatenate([sizes, sizes[duplicated]])
    hard = spec.difficulty == "hard"
    left = _indel_errors(rng, hap, starts, length, hard)
    right = _indel_errors(rng, hap, starts + sizes - length, length, hard)
    right = 3 - right[:, ::-1]  # reverse complement (codes 0..3)
    flip = rng.random(len(starts)) < 0.5  # fragments from the reverse strand
    first = np.where(flip[:, None], right, left)
    second = np.where(flip[:, None], left, right)
    r1, q1 = _sequence_reads(rng, first, second=False, spec=spec)
    r2, q2 = _sequence_reads(rng, second, second=True, spec=spec)
    return _Pairs(r1, r2, q1, q2)


def _fastq_bytes(names: np.ndarray, reads: np.ndarray, quals: np.ndarray, mate: int) -> bytes:
    """A FASTQ block built as one fixed-width byte matrix (all names have the same width)."""
    n = reads.shape[0]
    alphabet = np.frombuffer(b"ACGTN", dtype=np.uint8)
    newline = np.full((n, 1), ord("\n"), dtype=np.uint8)
    parts = [
        np.full((n, 1), ord("@"), dtype=np.uint8),
        names,
        np.tile(np.frombuffer(f"/{mate}\n".encode(), dtype=np.uint8), (n, 1)),
        alphabet[reads],
        np.tile(np.frombuffer(b"\n+\n", dtype=np.uint8), (n, 1)),
        quals + 33,
        newline,
    ]
    return np.concatenate(parts, axis=1).tobytes()


def _names(sample: str, count: int) -> np.ndarray:
    width = len(str(max(count - 1, 0)))
    prefix = np.frombuffer(f"{sample}.".encode(), dtype=np.uint8)
    digits = np.arange(count)[:, None] // (10 ** np.arange(width - 1, -1, -1)) % 10
    return np.concatenate(
        [np.tile(prefix, (count, 1)), (digits + ord("0")).astype(np.uint8)], axis=1
    )


def write_fastq_pair(
    sample: str, pairs: list[_Pairs], rng: np.random.Generator, r1_path: Path, r2_path: Path
) -> int:
    """Shuffle and write the pairs of one sample as gzipped FASTQ; returns the pair count."""
    r1 = np.concatenate([p.r1 for p in pairs])
    r2 = np.concatenate([p.r2 for p in pairs])
    q1 = np.concatenate([p.q1 for p in pairs])
    q2 = np.concatenate([p.q2 for p in pairs])
    order = rng.permutation(len(r1))
    names = _names(sample, len(r1))
    chunk = 50_000
    # mtime=0 and no file name in the gzip header: the same seed gives the same bytes
    with (
        open(r1_path, "wb") as raw1,
        open(r2_path, "wb") as raw2,
        gzip.GzipFile(filename="", mode="wb", compresslevel=1, fileobj=raw1, mtime=0) as out1,
        gzip.GzipFile(filename="", mode="wb", compresslevel=1, fileobj=raw2, mtime=0) as out2,
    ):
        for start in range(0, len(order), chunk):
            rows = order[start : start + chunk]
            block = names[start : start + chunk]
            out1.write(_fastq_bytes(block, r1[rows], q1[rows], 1))
            out2.write(_fastq_bytes(block, r2[rows], q2[rows], 2))
    return len(r1)


# --------------------------------------------------------------------------- files


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
