"""The tiny germline data set: a 20 kb genome, ~2k read pairs at 30x, with known variants.

Generated in about 0.1 s, so each test makes its own:

    demo = make_demo(workspace)            # reference.fa, s1_R1/R2.fastq.gz, truth.vcf.gz
    assets = register_demo(demo)           # {"reference": ..., "reads": {...}, "truth": ...}
    bam = run(align, reads=assets["reads"]["s1"], reference=assets["reference"])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stargazer.demo.germline import GermlineDemo, GermlineSpec, generate

#: Genome size (bp) and read depth of the tiny data set.
SIZE = 20_000
COVERAGE = 30.0


def make_demo(
    folder: Path, seed: int = 11, samples: int = 1, coverage: float = COVERAGE, **changes: Any
) -> GermlineDemo:
    """Generate the tiny data set under `folder` (same seed and size: same genome).

    `changes` are further `GermlineSpec` fields (e.g. `difficulty="hard"`).
    """
    spec = GermlineSpec(size=SIZE, coverage=coverage, samples=samples, seed=seed, **changes)
    return generate(spec, folder)


def register_demo(demo: GermlineDemo) -> dict[str, Any]:
    """Register the data set's reference, reads and truth, as `stargazer demo germline` does.

    Returns:
        `{"reference": Reference, "reads": {sample: Reads}, "truth": Variants}`.
    """
    from stargazer.demo.germline_assets import register

    return register(demo)
