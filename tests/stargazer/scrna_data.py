"""Small single-cell data for the task, workflow and CLI tests.

`counts()` draws a demo matrix in memory (~0.1 s for 500 cells); `stored()` registers an
in-memory AnnData as an asset of a given stage, so each task test starts from its own input
without running the steps before it through Flyte.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anndata
import flyte

from stargazer.demo.scrna import simulate_counts
from stargazer.types import AnnData

CELLS = 500
GENES = 600
CLUSTERS = 4


def counts(cells: int = CELLS, genes: int = GENES, clusters: int = CLUSTERS, seed: int = 3):
    """A raw demo count matrix (easy), in memory."""
    return simulate_counts(cells=cells, genes=genes, clusters=clusters, seed=seed)


def stored(adata: anndata.AnnData, folder: Path, stage: str, sample_id: str = "s1") -> AnnData:
    """Register `adata` as an AnnData asset of `stage`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sample_id}.{stage}.h5ad"
    adata.write_h5ad(path)
    return AnnData.create_sync(path, sample_id=sample_id, stage=stage)


def run(task, **inputs):
    """Run a task for real through flyte.run in local mode; returns its outputs."""
    flyte.init_from_config()
    outputs = flyte.run(task, **inputs).outputs()
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def read(asset: AnnData) -> anndata.AnnData:
    """The asset's h5ad, in memory."""
    return anndata.read_h5ad(asset.path)


def task_runs(workspace: Path) -> list[tuple[str, str, int]]:
    """(run name, task name, cache hit) of every action Flyte ran in the workspace."""
    database = workspace / ".flyte" / "local-cache" / "cache.db"
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "select run_name, task_name, cache_hit from runs order by start_time"
        ).fetchall()
    return [(run_name, name.split(".")[-1], hit) for run_name, name, hit in rows]


def store_ids(kind: str = "anndata") -> list[str]:
    """Ids of every asset of `kind` in the current store."""
    from stargazer.types import assemble

    return [asset.id for asset in assemble(kind=kind)]
