"""Small single-cell data: a simulated count matrix, and AnnData assets at any stage.

`counts()` draws a matrix with planted cell types in memory (~0.1 s for 500 cells);
`stored()` registers an AnnData as an asset of a stage, so a task's test starts from its
own input without running the steps before it:

    raw = stored(counts(), workspace / "in", stage="raw")
    normalized = run(normalize, adata=raw)
    assert read(normalized).n_obs <= 500
"""

from __future__ import annotations

from pathlib import Path

import anndata

from stargazer.demo.scrna import simulate_counts
from stargazer.types import AnnData

#: Shape of the default matrix: cells, genes and planted cell types.
CELLS = 500
GENES = 600
CLUSTERS = 4


def counts(
    cells: int = CELLS, genes: int = GENES, clusters: int = CLUSTERS, seed: int = 3
) -> anndata.AnnData:
    """A raw simulated count matrix (easy difficulty), in memory."""
    return simulate_counts(cells=cells, genes=genes, clusters=clusters, seed=seed)


def stored(adata: anndata.AnnData, folder: Path, stage: str, sample_id: str = "s1") -> AnnData:
    """Write `adata` to `folder/SAMPLE.STAGE.h5ad` and register it as an AnnData of `stage`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sample_id}.{stage}.h5ad"
    adata.write_h5ad(path)
    return AnnData.create_sync(path, sample_id=sample_id, stage=stage)


def read(asset: AnnData) -> anndata.AnnData:
    """The asset's h5ad, read into memory."""
    return anndata.read_h5ad(asset.path)
