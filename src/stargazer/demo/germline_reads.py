"""The germline demo's reads: 150 bp pairs with errors and duplicates, written as FASTQ.

pairs = simulate_pairs(spec, haplotype, depth=15.0, rng=rng)
write_fastq_pair("sample1", [pairs, ...], rng, r1_path, r2_path)
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stargazer.demo.germline_spec import GermlineSpec


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
