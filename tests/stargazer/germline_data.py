"""Tiny germline data for the task, workflow and CLI tests: a 20 kb demo, registered as assets.

Generated in the test's own folder (about 0.1 s); ~2k read pairs at 30x.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import flyte

from stargazer.demo.germline import GermlineDemo, GermlineSpec, generate

SIZE = 20_000
COVERAGE = 30.0


def make_demo(
    folder: Path, seed: int = 11, samples: int = 1, coverage: float = COVERAGE, **changes
) -> GermlineDemo:
    """Generate the tiny demo data set under ``folder`` (same seed and size: same genome)."""
    spec = GermlineSpec(size=SIZE, coverage=coverage, samples=samples, seed=seed, **changes)
    return generate(spec, folder)


def register_demo(demo: GermlineDemo) -> dict:
    """Register the demo's reference, reads and truth (the `stargazer demo germline` way)."""
    from stargazer.cli.demo_germline import register

    return register(demo)


def reopen_flyte_cache() -> None:
    """Point flyte's local cache and run history at this test's workspace.

    flyte 2.12.1 opens its local database once per process, next to the first config it
    read, so without this every later test in the same pytest worker would record its runs
    (and look up cache hits) in the first test's workspace.
    """
    from flyte._persistence._db import LocalDB

    if LocalDB._conn is not None or LocalDB._conn_sync is not None:
        asyncio.run(LocalDB.close())


def run(task, **inputs):
    """Run a task for real through flyte.run in local mode; returns its outputs."""
    reopen_flyte_cache()
    flyte.init_from_config()
    outputs = flyte.run(task, **inputs).outputs()
    return outputs[0] if len(outputs) == 1 else outputs
