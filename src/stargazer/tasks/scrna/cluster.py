"""`cluster`: Leiden communities of the neighbour graph at a resolution.

Uses igraph's Leiden (`flavor="igraph"`, undirected, 2 iterations), the implementation scanpy
recommends; labels go to `obs[key_added]` ("leiden"). Only this step and `find_markers` depend
on the resolution, so re-clustering reuses every cached step before it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import load, store
from stargazer.types import AnnData

if TYPE_CHECKING:
    import anndata as ad

STAGE = "clustered"


def leiden(
    adata: ad.AnnData,
    *,
    resolution: float = 1.0,
    random_state: int = 0,
    key_added: str = "leiden",
) -> ad.AnnData:
    """Leiden clustering on `obsp["connectivities"]`, in place.

    Raises:
        ValueError: No neighbour graph (run reduce_dimensions first) or a bad resolution.
    """
    import scanpy as sc

    if "connectivities" not in adata.obsp:
        raise ValueError("no neighbour graph (obsp['connectivities']): run reduce_dimensions first")
    if resolution <= 0:
        raise ValueError(f"resolution={resolution}: use a positive number (1.0 is typical)")
    sc.tl.leiden(
        adata,
        resolution=resolution,
        flavor="igraph",
        n_iterations=2,
        directed=False,
        random_state=random_state,
        key_added=key_added,
    )
    return adata


@scrna_env.task
async def cluster(data: AnnData, resolution: float = 1.0, random_state: int = 0) -> AnnData:
    """Leiden clustering at `resolution`; the `clustered` stage (labels in `obs["leiden"]`).

    Args:
        data: A `reduced` AnnData asset (with the neighbour graph).
        resolution: Higher gives more, smaller clusters.
        random_state: Seed for Leiden.

    Returns:
        The `clustered` AnnData asset.
    """
    adata = await load(data)
    adata = await asyncio.to_thread(leiden, adata, resolution=resolution, random_state=random_state)
    params = {
        "resolution": resolution,
        "random_state": random_state,
        "flavor": "igraph",
        "n_clusters": int(adata.obs["leiden"].nunique()),
    }
    return await store(adata, stage=STAGE, params=params, parents=[data], sample_id=data.sample_id)


__all__ = ["cluster", "leiden"]
