"""Small real tasks for the MCP and invoke tests, discovered through `__all__`.

They count FASTQ records with pysam and return a `Table` asset: enough to exercise asset
inputs (by id and by metadata query, one or a tuple of them), scalar validation, and asset
outputs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pysam

from stargazer.config import gatk_env
from stargazer.types import Reads, Table


@gatk_env.task
async def count_reads(reads: Reads, min_length: int = 0) -> Table:
    """Count the R1 records at least `min_length` bases long.

    Args:
        reads: The reads to count.
        min_length: Shorter records are not counted.
    """
    path = await reads.fetch()
    with pysam.FastxFile(str(path)) as records:
        count = sum(1 for record in records if len(record.sequence) >= min_length)
    out = Path(tempfile.mkdtemp()) / "read_counts.json"
    out.write_text(json.dumps({"sample_id": reads.sample_id, "reads": count}))
    return await Table.create(
        out,
        name="read_counts",
        sample_id=reads.sample_id,
        format="json",
        parents=[reads.id],
        tool="pysam",
        tool_version=pysam.__version__,
        params={"min_length": str(min_length)},
    )


@gatk_env.task
async def count_all(reads: tuple[Reads, ...], paired_only: bool = False) -> Table:
    """Count the R1 records of several read sets together.

    Args:
        reads: The read sets, in order.
        paired_only: Count only paired read sets.
    """
    total = 0
    for one in reads:
        if paired_only and not one.paired:
            continue
        with pysam.FastxFile(str(await one.fetch())) as records:
            total += sum(1 for _ in records)
    out = Path(tempfile.mkdtemp()) / "read_counts.json"
    out.write_text(json.dumps({"reads": total}))
    return await Table.create(
        out,
        name="read_counts",
        format="json",
        parents=[one.id for one in reads],
        tool="pysam",
        tool_version=pysam.__version__,
        params={"paired_only": str(paired_only)},
    )


__all__ = ["count_all", "count_reads"]
