"""`find_markers`: genes that set each cluster apart, as a table and in the AnnData.

scanpy's `rank_genes_groups` compares each cluster with all other cells on the log-normalised
expression (Wilcoxon rank-sum by default). The result is kept in `uns["rank_genes_groups"]` of
the `markers` AnnData and written as a `marker_genes` TSV `Table`, one row per cluster and gene:

| column | meaning |
|---|---|
| `cluster` | the cluster label |
| `rank` | 1 = strongest marker of the cluster |
| `gene` | gene name |
| `score` | test statistic |
| `logfoldchange` | log2 fold change against the other cells |
| `pval`, `pval_adj` | p-value and Benjamini-Hochberg adjusted p-value |
| `pct_in`, `pct_out` | share of cells expressing it inside / outside the cluster |
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import load, store, tool_version
from stargazer.types import AnnData, Table

if TYPE_CHECKING:
    import anndata as ad
    import pandas as pd

STAGE = "markers"
METHODS = ("wilcoxon", "t-test", "t-test_overestim_var", "logreg")


def rank_markers(
    adata: ad.AnnData,
    *,
    groupby: str = "leiden",
    method: str = "wilcoxon",
    n_genes: int = 100,
) -> tuple[ad.AnnData, pd.DataFrame]:
    """Rank marker genes per group, in place; return the AnnData and the marker table.

    Raises:
        ValueError: No `groupby` column, fewer than two groups, or an unknown method.
    """
    import scanpy as sc

    if groupby not in adata.obs:
        raise ValueError(f"no obs[{groupby!r}]: run cluster first")
    if method not in METHODS:
        raise ValueError(f"method={method!r}: use one of {', '.join(METHODS)}")
    if adata.obs[groupby].nunique() < 2:
        raise ValueError(
            f"obs[{groupby!r}] has one group only; markers need at least two clusters "
            "(raise the resolution)"
        )
    adata.obs[groupby] = adata.obs[groupby].astype("category")
    n_top = min(n_genes, adata.n_vars)
    sc.tl.rank_genes_groups(
        adata, groupby=groupby, method=method, use_raw=False, pts=True, n_genes=n_top
    )
    table = marker_table(adata)
    return adata, table


def marker_table(adata: ad.AnnData, key: str = "rank_genes_groups") -> pd.DataFrame:
    """The long marker table (see the module docstring) from `uns[key]`."""
    import pandas as pd
    import scanpy as sc

    frame = sc.get.rank_genes_groups_df(adata, group=None, key=key)
    frame = frame.rename(
        columns={
            "group": "cluster",
            "names": "gene",
            "scores": "score",
            "logfoldchanges": "logfoldchange",
            "pvals": "pval",
            "pvals_adj": "pval_adj",
            "pct_nz_group": "pct_in",
            "pct_nz_reference": "pct_out",
        }
    )
    if "cluster" not in frame:  # a single group comes back without the group column
        frame.insert(0, "cluster", next(iter(adata.uns[key]["names"].dtype.names)))
    frame["cluster"] = frame["cluster"].astype(str)
    frame.insert(1, "rank", frame.groupby("cluster", sort=False).cumcount() + 1)
    columns = ["cluster", "rank", "gene", "score", "logfoldchange", "pval", "pval_adj"]
    columns += [c for c in ("pct_in", "pct_out") if c in frame]
    return pd.DataFrame(frame[columns]).reset_index(drop=True)


@scrna_env.task
async def find_markers(
    data: AnnData, method: str = "wilcoxon", n_genes: int = 100
) -> tuple[AnnData, Table]:
    """Rank marker genes of each Leiden cluster; the `markers` stage and a marker table.

    Args:
        data: A `clustered` AnnData asset.
        method: "wilcoxon", "t-test", "t-test_overestim_var" or "logreg".
        n_genes: Markers kept per cluster.

    Returns:
        The `markers` AnnData asset (rankings in `uns["rank_genes_groups"]`) and the
        `marker_genes` TSV table.
    """
    params = {"groupby": "leiden", "method": method, "n_genes": n_genes}
    adata = await load(data)
    adata, table = await asyncio.to_thread(
        rank_markers, adata, groupby="leiden", method=method, n_genes=n_genes
    )
    markers = await store(
        adata, stage=STAGE, params=params, parents=[data], sample_id=data.sample_id
    )
    del adata
    from stargazer.store import open_store

    with open_store().local.workdir() as folder:
        path = folder / f"{data.sample_id or 'cells'}.marker_genes.tsv"
        table.to_csv(path, sep="\t", index=False, float_format="%.6g")
        table_asset = await Table.create(
            path,
            parents=[markers],
            tool="scanpy",
            tool_version=tool_version(),
            params={**params, "stage": STAGE},
            name="marker_genes",
            sample_id=data.sample_id,
            format="tsv",
        )
    return markers, table_asset


__all__ = ["find_markers", "marker_table", "rank_markers"]
