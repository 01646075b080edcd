"""The germline demo's genome: a random reference (with repeats when hard) and planted variants.

rng = np.random.default_rng(7)
contigs = make_reference(spec, rng)              # name -> base codes 0..3
variants = plant_variants(spec, contigs, rng)    # left-aligned, spaced, sorted
hap1, hap2 = haplotypes(contigs["chr1"], chr1_variants, sample=0, rng=rng)
"""

from __future__ import annotations

import numpy as np

from stargazer.demo.germline_spec import BASES, TRANSITION, GermlineSpec, Variant


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
    return str(BASES[codes].tobytes().decode())


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
