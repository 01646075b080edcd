"""`reduce_dimensions`: PCA on the highly variable genes, the neighbour graph, UMAP.

The neighbour search is exact (scikit-learn) up to `EXACT_NEIGHBORS_MAX` cells and approximate
(pynndescent) above; `neighbors_method` overrides the choice. Exact search on 50 components is
quicker than pynndescent's numba compilation at these sizes, and pynndescent is pinned to
0.6.0 because 0.7.0 breaks scanpy 1.11.5's `neighbors` above 4096 cells. UMAP's numba code is
cached on disk (`enable_numba_cache`), so a fresh process does not compile it again.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import enable_numba_cache, load, store
from stargazer.types import AnnData

if TYPE_CHECKING:
    import anndata as ad

STAGE = "reduced"
EXACT_NEIGHBORS_MAX = 50_000
NEIGHBOR_METHODS = ("auto", "sklearn", "pynndescent")


def neighbor_transformer(n_obs: int, method: str = "auto") -> str:
    """The scanpy `transformer` for `method` ("auto" picks by the number of cells).

    Raises:
        ValueError: Unknown method.
    """
    if method not in NEIGHBOR_METHODS:
        raise ValueError(f"neighbors_method={method!r}: use one of {', '.join(NEIGHBOR_METHODS)}")
    if method == "auto":
        return "sklearn" if n_obs <= EXACT_NEIGHBORS_MAX else "pynndescent"
    return method


def embed(
    adata: ad.AnnData,
    *,
    n_comps: int = 50,
    n_neighbors: int = 15,
    neighbors_method: str = "auto",
    min_dist: float = 0.5,
    random_state: int = 0,
) -> ad.AnnData:
    """PCA, neighbour graph and UMAP, in place.

    Returns:
        `adata` with `obsm["X_pca"]`, `obsp["connectivities"]`/`["distances"]`, `obsm["X_umap"]`.

    Raises:
        ValueError: Too few cells or genes for the requested components or neighbours.
    """
    import scanpy as sc

    enable_numba_cache()
    mask = adata.var["highly_variable"].to_numpy() if "highly_variable" in adata.var else None
    n_features = int(mask.sum()) if mask is not None else adata.n_vars
    comps = min(n_comps, adata.n_obs - 1, n_features - 1)
    if comps < 2:
        raise ValueError(
            f"{adata.n_obs} cells x {n_features} selected genes is too small for PCA; "
            "keep more cells (loosen QC) or select more genes"
        )
    if n_neighbors >= adata.n_obs:
        raise ValueError(
            f"n_neighbors={n_neighbors} needs more than {n_neighbors} cells, there are "
            f"{adata.n_obs}: use n_neighbors={adata.n_obs - 1} or lower, or keep more cells "
            "(loosen the QC thresholds)"
        )
    sc.pp.pca(adata, n_comps=comps, mask_var=mask, random_state=random_state)
    sc.pp.neighbors(
        adata,
        n_neighbors=n_neighbors,
        use_rep="X_pca",
        transformer=neighbor_transformer(adata.n_obs, neighbors_method),
        random_state=random_state,
    )
    adata.uns["neighbors"]["params"]["transformer"] = neighbor_transformer(
        adata.n_obs, neighbors_method
    )
    sc.tl.umap(adata, min_dist=min_dist, random_state=random_state)
    return adata


@scrna_env.task
async def reduce_dimensions(
    data: AnnData,
    n_comps: int = 50,
    n_neighbors: int = 15,
    neighbors_method: str = "auto",
    min_dist: float = 0.5,
    random_state: int = 0,
) -> AnnData:
    """PCA, k-nearest-neighbour graph and UMAP; the `reduced` stage.

    Args:
        data: A `features` AnnData asset (PCA uses `var["highly_variable"]`).
        n_comps: Principal components (fewer if the data is smaller).
        n_neighbors: Neighbours per cell in the graph.
        neighbors_method: "auto", "sklearn" (exact) or "pynndescent" (approximate).
        min_dist: UMAP's minimum distance between embedded points.
        random_state: Seed for PCA, the neighbour search and UMAP.

    Returns:
        The `reduced` AnnData asset.
    """
    params = {
        "n_comps": n_comps,
        "n_neighbors": n_neighbors,
        "neighbors_method": neighbors_method,
        "min_dist": min_dist,
        "random_state": random_state,
    }
    adata = await load(data)
    adata = await asyncio.to_thread(
        embed,
        adata,
        n_comps=n_comps,
        n_neighbors=n_neighbors,
        neighbors_method=neighbors_method,
        min_dist=min_dist,
        random_state=random_state,
    )
    params["transformer"] = neighbor_transformer(adata.n_obs, neighbors_method)
    return await store(adata, stage=STAGE, params=params, parents=[data], sample_id=data.sample_id)


__all__ = ["EXACT_NEIGHBORS_MAX", "embed", "neighbor_transformer", "reduce_dimensions"]
