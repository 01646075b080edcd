"""`normalize`: total-count normalisation and log1p, raw counts kept in `layers["counts"]`.

Each cell is scaled to `target_sum` counts and log1p-transformed in `X`; the untouched
counts stay in `layers["counts"]` for count-based steps (seurat_v3 feature selection) and for
export.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import load, store
from stargazer.types import AnnData

if TYPE_CHECKING:
    import anndata as ad

STAGE = "normalized"


def normalize_counts(adata: ad.AnnData, *, target_sum: float = 1e4) -> ad.AnnData:
    """Keep counts in `layers["counts"]`, then normalise `X` to `target_sum` and log1p, in place.

    Returns:
        `adata`.
    """
    import scanpy as sc

    adata.layers["counts"] = adata.X.copy()
    sc.pp.normalize_total(adata, target_sum=target_sum)
    sc.pp.log1p(adata)
    return adata


@scrna_env.task
async def normalize(data: AnnData, target_sum: float = 1e4) -> AnnData:
    """Normalise each cell to `target_sum` counts and log1p; the `normalized` stage.

    Args:
        data: A `qc` AnnData asset.
        target_sum: Counts per cell after scaling.

    Returns:
        The `normalized` AnnData asset (counts in `layers["counts"]`).
    """
    adata = await load(data)
    adata = await asyncio.to_thread(normalize_counts, adata, target_sum=target_sum)
    return await store(
        adata,
        stage=STAGE,
        params={"target_sum": target_sum},
        parents=[data],
        sample_id=data.sample_id,
    )


__all__ = ["normalize", "normalize_counts"]
