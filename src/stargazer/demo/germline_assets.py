"""Register a generated germline data set as assets: reference, reads per sample, truth VCF.

What `stargazer demo germline` (and `stargazer.testing.germline`) do after generating it.
"""

from __future__ import annotations

from typing import Any


def register(demo: Any) -> dict[str, Any]:
    """Register a generated data set: reference, one Reads per sample, the truth VCF.

    Returns:
        ``{"reference": Reference, "reads": {sample: Reads}, "truth": Variants}``.
    """
    from stargazer import __version__
    from stargazer.types import Reads, Reference, Variants

    spec = demo.spec
    tool = "stargazer.demo.germline"
    params = {
        "size": spec.size,
        "coverage": spec.coverage,
        "samples": spec.samples,
        "difficulty": spec.difficulty,
        "seed": spec.seed,
    }
    reference = Reference.create_sync(
        demo.reference, tool=tool, tool_version=__version__, params=params, build="demo"
    )
    reads = {
        sample: Reads.create_sync(
            r1,
            companions={"r2": r2},
            parents=[reference],
            tool=tool,
            tool_version=__version__,
            params=params,
            sample_id=sample,
            paired=True,
        )
        for sample, (r1, r2) in demo.reads.items()
    }
    single = spec.samples == 1
    truth = Variants.create_sync(
        demo.truth,
        companions={"tbi": f"{demo.truth}.tbi"},
        parents=[reference],
        tool=tool,
        tool_version=__version__,
        params=params,
        sample_id=spec.sample_ids[0] if single else "",
        cohort="" if single else "demo",
        caller="truth",
    )
    return {"reference": reference, "reads": reads, "truth": truth}
