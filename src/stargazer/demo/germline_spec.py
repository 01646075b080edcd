"""The germline demo's settings and records: what to simulate and what was planted.

`GermlineSpec` is validated on construction; `Variant` is one planted variant; `GermlineDemo`
lists the files `stargazer.demo.germline.generate` wrote.
"""

from __future__ import annotations

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
