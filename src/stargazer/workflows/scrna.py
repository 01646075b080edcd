"""`scrna_clustering`: raw counts of one or more samples -> clusters, UMAP and marker genes.

```python
import flyte
from stargazer.types import assemble
from stargazer.workflows import scrna_clustering

flyte.init_from_config()
raw = assemble(kind="anndata", stage="raw")
run = flyte.run(scrna_clustering, samples=raw, resolution=0.8)
markers_adata, marker_table = run.outputs()
```

Each sample is filtered (`qc_filter`) and normalised (`normalize`) on its own, in parallel;
several samples are then merged (`merge_samples`); features, dimensions, clusters and markers
follow on the merged cells. Every step is a cached task whose inputs are content-addressed
assets, so changing only `resolution` re-runs `cluster` and `find_markers` and nothing else.
"""

from __future__ import annotations

import asyncio

from stargazer.config import scrna_env
from stargazer.tasks.scrna.cluster import cluster
from stargazer.tasks.scrna.find_markers import find_markers
from stargazer.tasks.scrna.merge_samples import merge_samples
from stargazer.tasks.scrna.normalize import normalize
from stargazer.tasks.scrna.qc_filter import qc_filter
from stargazer.tasks.scrna.reduce_dimensions import reduce_dimensions
from stargazer.tasks.scrna.select_features import select_features
from stargazer.types import AnnData, Table


async def _qc_warning(filtered: AnnData) -> str:
    """The low-yield warning qc_filter kept in the file (`uns/stargazer/qc_summary`), or ""."""
    import h5py

    with h5py.File(await filtered.fetch(), "r") as handle:
        item = handle.get("uns/stargazer/qc_summary/warning")
        if item is None:
            return ""
        value = item[()]
    return value.decode() if isinstance(value, bytes) else str(value)


async def check_enough_cells(filtered: list[AnnData], *, n_neighbors: int) -> None:
    """Refuse, right after QC, a cell count too small for the neighbour graph.

    Without this the run would go on through normalisation and feature selection and fail
    in `reduce_dimensions`; here the message names the parameter, values that work, and the
    QC thresholds suggested from the data's own distribution (qc_filter's warning).

    Raises:
        ValueError: Fewer than `n_neighbors + 1` cells (or 3, for PCA) passed QC.
    """
    kept = sum(int(f.n_obs or 0) for f in filtered)
    needed = max(n_neighbors + 1, 3)
    if kept >= needed:
        return
    per_sample = ", ".join(f"{f.sample_id or f.id}: {f.n_obs}" for f in filtered)
    fix = (
        f"set n_neighbors={kept - 1} (or lower), or loosen QC"
        if kept - 1 >= 2
        else "loosen QC (at least 3 cells are needed for PCA)"
    )
    notes = [note for note in [await _qc_warning(f) for f in filtered] if note]
    raise ValueError(
        f"QC kept {kept} cell(s) in all ({per_sample}); the neighbour graph with "
        f"n_neighbors={n_neighbors} needs at least {needed}: {fix}."
        + "".join(f" {note}" for note in notes)
    )


@scrna_env.task
async def scrna_clustering(
    samples: list[AnnData],
    min_genes: int = 200,
    min_counts: int = 0,
    max_pct_mt: float = 20.0,
    min_cells: int = 3,
    remove_doublets: bool = True,
    target_sum: float = 1e4,
    n_top_genes: int = 2000,
    hvg_flavor: str = "seurat_v3",
    n_comps: int = 50,
    n_neighbors: int = 15,
    neighbors_method: str = "auto",
    min_dist: float = 0.5,
    resolution: float = 1.0,
    marker_method: str = "wilcoxon",
    n_markers: int = 100,
    random_state: int = 0,
) -> tuple[AnnData, Table]:
    """Cluster single cells and find marker genes, every stage kept as an asset.

    Long because every step's parameters are inputs of the workflow (so a notebook or
    `stargazer run` can set them), each documented below; the body is a straight line of steps.

    Args:
        samples: `raw` AnnData assets, one per sample (distinct `sample_id`s).
        min_genes: QC: fewest detected genes per cell.
        min_counts: QC: fewest counts per cell.
        max_pct_mt: QC: highest percentage of mitochondrial counts.
        min_cells: QC: fewest cells a gene must be detected in.
        remove_doublets: QC: drop scrublet's predicted doublets.
        target_sum: Counts per cell after normalisation.
        n_top_genes: Highly variable genes used for PCA.
        hvg_flavor: "seurat_v3" (counts), "seurat" or "cell_ranger".
        n_comps: Principal components.
        n_neighbors: Neighbours per cell in the graph.
        neighbors_method: "auto", "sklearn" (exact) or "pynndescent".
        min_dist: UMAP minimum distance.
        resolution: Leiden resolution (more clusters when higher).
        marker_method: Test for marker genes ("wilcoxon", "t-test", ...).
        n_markers: Marker genes kept per cluster.
        random_state: Seed for every random step.

    Returns:
        The `markers` AnnData asset (clusters in `obs["leiden"]`, UMAP in `obsm["X_umap"]`,
        rankings in `uns`) and the `marker_genes` table.

    Raises:
        ValueError: No samples, samples sharing a `sample_id`, or too few cells left after
            QC for `n_neighbors` (raised before any later step runs).
    """
    if not samples:
        raise ValueError("scrna_clustering needs at least one raw AnnData sample")
    ids = [s.sample_id or s.id for s in samples]
    if len(set(ids)) != len(ids):
        raise ValueError(f"samples must have distinct sample_id values, got {ids}")

    filtered = await asyncio.gather(
        *(
            qc_filter(
                sample,
                min_genes=min_genes,
                min_counts=min_counts,
                max_pct_mt=max_pct_mt,
                min_cells=min_cells,
                remove_doublets=remove_doublets,
                random_state=random_state,
            )
            for sample in samples
        )
    )
    await check_enough_cells(filtered, n_neighbors=n_neighbors)
    normalized = await asyncio.gather(*(normalize(f, target_sum=target_sum) for f in filtered))
    combined = normalized[0] if len(normalized) == 1 else await merge_samples(list(normalized))
    features = await select_features(combined, n_top_genes=n_top_genes, flavor=hvg_flavor)
    reduced = await reduce_dimensions(
        features,
        n_comps=n_comps,
        n_neighbors=n_neighbors,
        neighbors_method=neighbors_method,
        min_dist=min_dist,
        random_state=random_state,
    )
    clustered = await cluster(reduced, resolution=resolution, random_state=random_state)
    return await find_markers(clustered, method=marker_method, n_genes=n_markers)


__all__ = ["check_enough_cells", "scrna_clustering"]
