"""A small real task for the MCP server tests, discovered through `__all__` like stargazer.tasks.

It counts FASTQ records with pysam and returns a `Table` asset: enough to exercise asset
inputs (by id and by metadata query), scalar validation, and asset outputs.
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


__all__ = ["count_reads"]
