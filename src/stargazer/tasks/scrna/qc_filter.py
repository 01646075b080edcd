"""`qc_filter`: drop empty, dying and doublet cells and rarely seen genes.

Per cell, scanpy's QC metrics are computed and kept in `obs` (`n_genes_by_counts`,
`total_counts`, `pct_counts_mt`, and scrublet's `doublet_score` / `predicted_doublet`);
mitochondrial genes are those named `MT-` (human) or `mt-` (mouse) and are flagged in
`var["mt"]`. A cell is kept when it has at least `min_genes` genes and `min_counts` counts, at
most `max_pct_mt` % mitochondrial counts and is not a predicted doublet; then a gene is kept when
it is seen in at least `min_cells` of the kept cells.

Thresholds that would keep no cell are refused with the threshold to blame and a value that
would keep cells, instead of producing an empty asset. Thresholds that keep fewer than
`LOW_YIELD` (10%) of the cells are a warning (a `UserWarning`, and `qc_summary["warning"]` in
the file), with thresholds suggested from the data's own distribution (`suggest_thresholds`):
the default `min_genes=200` suits whole-transcriptome data, not a 1,000-gene panel.
"""

from __future__ import annotations

import asyncio
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import load, store
from stargazer.types import AnnData

if TYPE_CHECKING:
    import anndata as ad
    import pandas as pd

STAGE = "qc"

#: Thresholds that keep fewer than this fraction of the cells are warned about.
LOW_YIELD = 0.10

#: Suggested thresholds each remove about this fraction of cells at the tail they cut.
SUGGESTED_TAIL = 0.05

#: The per-cell QC columns (scanpy's names) that the thresholds apply to.
QC_COLUMNS = {
    "min_genes": "n_genes_by_counts",
    "min_counts": "total_counts",
    "max_pct_mt": "pct_counts_mt",
}

_UNITS = {"min_genes": " genes", "min_counts": " counts", "max_pct_mt": "% mitochondrial"}


def _passing(obs: pd.DataFrame, thresholds: dict[str, float]) -> np.ndarray:
    keep = np.ones(len(obs), dtype=bool)
    for name, threshold in thresholds.items():
        values = obs[QC_COLUMNS[name]].to_numpy()
        keep &= values <= threshold if name.startswith("max") else values >= threshold
    return keep


def suggest_thresholds(
    obs: pd.DataFrame, *, min_genes: float = 200, min_counts: float = 0, max_pct_mt: float = 20.0
) -> dict[str, float]:
    """Thresholds from the data's own distribution, never stricter than the ones given.

    Each minimum is lowered to the `SUGGESTED_TAIL` quantile of its metric (the 5% of cells
    with the fewest genes or counts are cut), the mitochondrial maximum raised to the
    `1 - SUGGESTED_TAIL` quantile; a threshold already looser than that stays as it is.

    Args:
        obs: Per-cell QC metrics (`n_genes_by_counts`, `total_counts`, `pct_counts_mt`).
        min_genes: The current fewest genes per cell.
        min_counts: The current fewest counts per cell.
        max_pct_mt: The current highest percentage of mitochondrial counts.

    Returns:
        `{"min_genes": ..., "min_counts": ..., "max_pct_mt": ...}`.
    """
    genes = obs[QC_COLUMNS["min_genes"]].to_numpy(dtype=float)
    counts = obs[QC_COLUMNS["min_counts"]].to_numpy(dtype=float)
    mito = obs[QC_COLUMNS["max_pct_mt"]].to_numpy(dtype=float)
    if not len(obs):
        return {"min_genes": min_genes, "min_counts": min_counts, "max_pct_mt": max_pct_mt}
    return {
        "min_genes": min(min_genes, math.floor(np.quantile(genes, SUGGESTED_TAIL))),
        "min_counts": min(min_counts, math.floor(np.quantile(counts, SUGGESTED_TAIL))),
        "max_pct_mt": max(max_pct_mt, math.ceil(np.quantile(mito, 1 - SUGGESTED_TAIL) * 10) / 10),
    }


def low_yield_warning(
    obs: pd.DataFrame,
    *,
    min_genes: float = 200,
    min_counts: float = 0,
    max_pct_mt: float = 20.0,
    source: str = "the matrix",
) -> str | None:
    """A warning when the thresholds keep under `LOW_YIELD` of the cells, else None.

    The message says how many cells each threshold removes, what the typical cell looks
    like, and the thresholds `suggest_thresholds` finds with how many cells they keep.

    Args:
        obs: Per-cell QC metrics (`n_genes_by_counts`, `total_counts`, `pct_counts_mt`).
        min_genes: Fewest genes per cell.
        min_counts: Fewest counts per cell.
        max_pct_mt: Highest percentage of mitochondrial counts.
        source: Name of the data the message starts with ("" for none).
    """
    given = {"min_genes": min_genes, "min_counts": min_counts, "max_pct_mt": max_pct_mt}
    n_cells = len(obs)
    kept = int(_passing(obs, given).sum())
    if n_cells == 0 or kept >= LOW_YIELD * n_cells:
        return None
    blame = []
    for name, threshold in given.items():
        removed = n_cells - int(_passing(obs, {name: threshold}).sum())
        if removed:
            median = float(np.median(obs[QC_COLUMNS[name]].to_numpy()))
            blame.append(
                f"{name}={threshold:g} alone removes {removed:,} (the median cell has "
                f"{median:,.4g}{_UNITS[name]})"
            )
    suggested = suggest_thresholds(obs, **given)
    keeps = int(_passing(obs, suggested).sum())
    settings = ", ".join(f"{name}={value:g}" for name, value in suggested.items())
    prefix = f"{source}: " if source else ""
    return (
        f"{prefix}QC keeps {kept:,} of {n_cells:,} cells ({100 * kept / n_cells:.1f}%, under "
        f"{LOW_YIELD:.0%}): {'; '.join(blame)}. Thresholds from this data's own distribution "
        f"({SUGGESTED_TAIL:.0%} tails): {settings}, keeping {keeps:,} cells (targeted panels "
        "detect far fewer genes per cell than the whole-transcriptome data the defaults suit)."
    )


def _explain_empty(metrics: dict[str, tuple[np.ndarray, float, str]], n_cells: int) -> str:
    """Which threshold removes every cell, and a value that keeps half of them."""
    blame = []
    for name, (values, threshold, sense) in metrics.items():
        keeps = values >= threshold if sense == "min" else values <= threshold
        if not keeps.any():
            median = float(np.median(values))
            best = float(values.max() if sense == "min" else values.min())
            blame.append(
                f"{name}={threshold:g} removes all {n_cells} cells (the best cell has "
                f"{best:g}; {name}={median:g} keeps about half)"
            )
    if not blame:
        blame.append(
            "each threshold keeps some cells but together they keep none; loosen one of "
            + ", ".join(f"{name}={threshold:g}" for name, (_, threshold, _) in metrics.items())
        )
    return "; ".join(blame)


def _add_qc_metrics(adata: ad.AnnData) -> None:
    """Flag mitochondrial genes (`MT-`, `mt-`) in `var["mt"]`; scanpy's QC metrics in place."""
    import scanpy as sc

    names = adata.var_names.str
    adata.var["mt"] = np.asarray(names.startswith("MT-") | names.startswith("mt-"))
    sc.pp.calculate_qc_metrics(adata, qc_vars=["mt"], percent_top=None, log1p=False, inplace=True)


def _cells_passing(
    adata: ad.AnnData, min_genes: int, min_counts: int, max_pct_mt: float, source: str
) -> np.ndarray:
    """Which cells pass the thresholds (QC metrics already in `obs`); refuses keeping none."""
    metrics = {
        "min_genes": (adata.obs["n_genes_by_counts"].to_numpy(), min_genes, "min"),
        "min_counts": (adata.obs["total_counts"].to_numpy(), min_counts, "min"),
        "max_pct_mt": (adata.obs["pct_counts_mt"].to_numpy(), max_pct_mt, "max"),
    }
    keep = np.ones(adata.n_obs, dtype=bool)
    for values, threshold, sense in metrics.values():
        keep &= values >= threshold if sense == "min" else values <= threshold
    if not keep.any():
        suggested = suggest_thresholds(
            adata.obs, min_genes=min_genes, min_counts=min_counts, max_pct_mt=max_pct_mt
        )
        raise ValueError(
            f"{source}: QC keeps no cell: {_explain_empty(metrics, adata.n_obs)}; suggested from "
            "this data's distribution: "
            + ", ".join(f"{name}={value:g}" for name, value in suggested.items())
        )
    return keep


def _drop_doublets(adata: ad.AnnData, remove_doublets: bool, random_state: int) -> None:
    """Score doublets with scrublet (`obs`), and drop the predicted ones if asked."""
    import scanpy as sc

    if adata.n_obs >= 30:  # scrublet needs a few dozen cells for its simulated doublets
        # Exact neighbours: pynndescent's numba compilation costs minutes here, the search ms.
        sc.pp.scrublet(adata, random_state=random_state, use_approx_neighbors=False, verbose=False)
    else:
        adata.obs["doublet_score"] = 0.0
        adata.obs["predicted_doublet"] = False
    if remove_doublets:
        singlets = ~adata.obs["predicted_doublet"].to_numpy(dtype=bool)
        adata._inplace_subset_obs(singlets)


def _drop_rare_genes(adata: ad.AnnData, min_cells: int, source: str) -> None:
    """Keep the genes detected in at least `min_cells` cells; refuses keeping none."""
    detected = np.asarray((adata.X > 0).sum(axis=0)).ravel()
    genes = detected >= min_cells
    if not genes.any():
        raise ValueError(
            f"{source}: QC keeps no gene: min_cells={min_cells} but the most widely detected "
            f"gene is seen in {int(detected.max())} of {adata.n_obs} kept cells; "
            f"use min_cells={max(int(detected.max()), 1)} or lower"
        )
    adata._inplace_subset_var(genes)


def filter_cells(
    adata: ad.AnnData,
    *,
    min_genes: int = 200,
    min_counts: int = 0,
    max_pct_mt: float = 20.0,
    min_cells: int = 3,
    remove_doublets: bool = True,
    random_state: int = 0,
    source: str = "the matrix",
) -> ad.AnnData:
    """Compute QC metrics, detect doublets, filter cells and genes, in place.

    Args:
        adata: Raw counts, cells x genes.
        min_genes: Fewest detected genes a cell may have.
        min_counts: Fewest total counts a cell may have.
        max_pct_mt: Highest percentage of counts from mitochondrial genes.
        min_cells: Fewest kept cells a gene must be detected in.
        remove_doublets: Drop cells scrublet calls doublets (scores are kept either way).
        random_state: Seed for scrublet's simulated doublets.
        source: Name of the data for error messages.

    Returns:
        `adata`, filtered, with QC metrics in `obs` and `var`.

    Warns:
        UserWarning: The thresholds keep fewer than `LOW_YIELD` of the cells (the message
            suggests thresholds from the data's distribution; kept in `qc_summary["warning"]`).

    Raises:
        ValueError: The thresholds keep no cell or no gene (the message says which).
    """
    _add_qc_metrics(adata)
    n_cells = adata.n_obs
    keep = _cells_passing(adata, min_genes, min_counts, max_pct_mt, source)
    warning = low_yield_warning(
        adata.obs,
        min_genes=min_genes,
        min_counts=min_counts,
        max_pct_mt=max_pct_mt,
        source=source,
    )
    if warning:
        warnings.warn(warning, UserWarning, stacklevel=2)
    adata._inplace_subset_obs(keep)
    _drop_doublets(adata, remove_doublets, random_state)

    genes_in = adata.n_vars
    _drop_rare_genes(adata, min_cells, source)
    adata.uns.setdefault("stargazer", {})["qc_summary"] = {
        "cells_in": int(n_cells),
        "cells_failing_thresholds": int(n_cells - keep.sum()),
        "doublets_removed": int(keep.sum() - adata.n_obs),
        "cells_out": int(adata.n_obs),
        "genes_in": genes_in,
        "genes_out": adata.n_vars,
        **({"warning": warning} if warning else {}),
    }
    return adata


@scrna_env.task
async def qc_filter(
    data: AnnData,
    min_genes: int = 200,
    min_counts: int = 0,
    max_pct_mt: float = 20.0,
    min_cells: int = 3,
    remove_doublets: bool = True,
    random_state: int = 0,
) -> AnnData:
    """Filter cells by QC metrics and doublets, and genes by detection; the `qc` stage.

    Args:
        data: A `raw` AnnData asset.
        min_genes: Fewest detected genes a cell may have.
        min_counts: Fewest total counts a cell may have.
        max_pct_mt: Highest percentage of mitochondrial counts (`MT-` / `mt-` genes).
        min_cells: Fewest kept cells a gene must be detected in.
        remove_doublets: Drop scrublet's predicted doublets.
        random_state: Seed for scrublet.

    Returns:
        The `qc` AnnData asset, QC metrics in `obs`.
    """
    params = {
        "min_genes": min_genes,
        "min_counts": min_counts,
        "max_pct_mt": max_pct_mt,
        "min_cells": min_cells,
        "remove_doublets": remove_doublets,
        "random_state": random_state,
    }
    adata = await load(data)
    filtered = await asyncio.to_thread(
        filter_cells,
        adata,
        min_genes=min_genes,
        min_counts=min_counts,
        max_pct_mt=max_pct_mt,
        min_cells=min_cells,
        remove_doublets=remove_doublets,
        random_state=random_state,
        source=f"{data.sample_id or data.id} ({data.stage})",
    )
    del adata
    return await store(
        filtered, stage=STAGE, params=params, parents=[data], sample_id=data.sample_id
    )


__all__ = [
    "LOW_YIELD",
    "QC_COLUMNS",
    "SUGGESTED_TAIL",
    "filter_cells",
    "low_yield_warning",
    "qc_filter",
    "suggest_thresholds",
]
