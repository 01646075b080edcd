"""`select_features`: flag highly variable genes in `var["highly_variable"]`.

The default flavour is `seurat_v3`, which models raw counts (it reads `layers["counts"]`, kept
by `normalize`) and needs scikit-misc; `seurat` and `cell_ranger` work on the log-normalised
`X`. With several samples (`obs["sample"]`), genes are ranked within each sample and combined
(`batch_key`). Genes are flagged, not dropped, so marker search still sees every gene; PCA uses
the flagged ones.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import load, store
from stargazer.types import AnnData

if TYPE_CHECKING:
    import anndata as ad

STAGE = "features"
FLAVORS = ("seurat_v3", "seurat", "cell_ranger")


def highly_variable(
    adata: ad.AnnData, *, n_top_genes: int = 2000, flavor: str = "seurat_v3"
) -> ad.AnnData:
    """Flag the `n_top_genes` most variable genes, in place.

    Returns:
        `adata`, with `var["highly_variable"]` and the flavour's statistics.

    Raises:
        ValueError: Unknown flavour, or seurat_v3 without a counts layer.
    """
    import scanpy as sc

    if flavor not in FLAVORS:
        raise ValueError(f"flavor={flavor!r}: use one of {', '.join(FLAVORS)}")
    batch_key = "sample" if "sample" in adata.obs and adata.obs["sample"].nunique() > 1 else None
    n_top = min(n_top_genes, adata.n_vars)
    if flavor == "seurat_v3":
        if "counts" not in adata.layers:
            raise ValueError(
                "flavor='seurat_v3' models raw counts but there is no layers['counts']: run "
                "normalize first (it keeps the counts) or use flavor='seurat'"
            )
        sc.pp.highly_variable_genes(
            adata, n_top_genes=n_top, flavor="seurat_v3", layer="counts", batch_key=batch_key
        )
    else:
        sc.pp.highly_variable_genes(adata, n_top_genes=n_top, flavor=flavor, batch_key=batch_key)
    return adata


@scrna_env.task
async def select_features(
    data: AnnData, n_top_genes: int = 2000, flavor: str = "seurat_v3"
) -> AnnData:
    """Flag highly variable genes; the `features` stage.

    Args:
        data: A `normalized` (or `merged`) AnnData asset.
        n_top_genes: How many genes to flag (all genes if fewer).
        flavor: "seurat_v3" (raw-count model), "seurat" or "cell_ranger".

    Returns:
        The `features` AnnData asset with `var["highly_variable"]`.
    """
    adata = await load(data)
    adata = await asyncio.to_thread(highly_variable, adata, n_top_genes=n_top_genes, flavor=flavor)
    return await store(
        adata,
        stage=STAGE,
        params={"n_top_genes": n_top_genes, "flavor": flavor},
        parents=[data],
        sample_id=data.sample_id,
    )


__all__ = ["FLAVORS", "highly_variable", "select_features"]
