"""Single-cell demo data with planted truth, and scores against that truth.

`simulate_counts` draws a raw count matrix the way droplet data looks: negative-binomial
(gamma-Poisson) counts around per-cell-type expression profiles, each cell type with its own
planted marker genes, 13 human mitochondrial genes (`MT-...`), a few low-quality cells (small
libraries, high mitochondrial share) and heterotypic doublets (two cells' counts added). The
truth rides along in the AnnData itself:

- `obs["truth_type"]`: the planted cell type (`type_0` ...; a doublet is `type_a+type_b`),
- `obs["truth_kind"]`: `singlet`, `low_quality` or `doublet`,
- `var["planted_marker_of"]`: the cell type a gene marks, or `""`.

The same arguments always give the same matrix (numpy's PCG64 seeded with `seed`).

`score_clustering` compares clusters with the planted types (adjusted Rand index over the
singlets that survived QC) and checks whether each type's planted markers are among the top
markers of the cluster that holds most of its cells.

```python
from stargazer.demo.scrna import simulate_counts

adata = simulate_counts(cells=500, genes=1000, clusters=5, difficulty="easy", seed=0)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import anndata

    from stargazer.types import AnnData as StoredAnnData

#: Human mitochondrially encoded genes, in genome order.
MT_GENES = (
    "MT-ND1",
    "MT-ND2",
    "MT-CO1",
    "MT-CO2",
    "MT-ATP8",
    "MT-ATP6",
    "MT-CO3",
    "MT-ND3",
    "MT-ND4L",
    "MT-ND4",
    "MT-ND5",
    "MT-ND6",
    "MT-CYB",
)


@dataclass(frozen=True)
class Difficulty:
    """How hard the planted structure is to recover.

    Attributes:
        markers_per_type: Planted marker genes per cell type.
        marker_fold: Fold change of a marker in its own cell type (log-normal around it).
        shared_fold_sd: Standard deviation of the log fold change every gene gets per type.
        median_umis: Median library size of a healthy cell.
        dispersion: Negative-binomial dispersion (variance = mu + dispersion * mu^2).
        low_quality_fraction: Share of cells with a small library and a high MT share.
        doublet_fraction: Share of heterotypic doublets.
    """

    markers_per_type: int
    marker_fold: float
    shared_fold_sd: float
    median_umis: float
    dispersion: float
    low_quality_fraction: float
    doublet_fraction: float


DIFFICULTIES: dict[str, Difficulty] = {
    "easy": Difficulty(
        markers_per_type=25,
        marker_fold=6.0,
        shared_fold_sd=0.25,
        median_umis=3000.0,
        dispersion=0.1,
        low_quality_fraction=0.04,
        doublet_fraction=0.03,
    ),
    "moderate": Difficulty(
        markers_per_type=20,
        marker_fold=4.0,
        shared_fold_sd=0.1,
        median_umis=1500.0,
        dispersion=0.25,
        low_quality_fraction=0.06,
        doublet_fraction=0.06,
    ),
}

_CHUNK = 2048  # cells drawn at a time, so a 20k x 2k matrix never exists dense


def _check_arguments(cells: int, genes: int, clusters: int, difficulty: str) -> Difficulty:
    if difficulty not in DIFFICULTIES:
        raise ValueError(
            f"unknown difficulty {difficulty!r}: choose one of {', '.join(sorted(DIFFICULTIES))}"
        )
    level = DIFFICULTIES[difficulty]
    if clusters < 2:
        raise ValueError(f"clusters={clusters}: plant at least 2 cell types")
    if cells < 20 * clusters:
        raise ValueError(
            f"cells={cells} is too few for {clusters} cell types: use at least {20 * clusters}"
        )
    needed = len(MT_GENES) + clusters * level.markers_per_type + 50
    if genes < needed:
        raise ValueError(
            f"genes={genes} is too few for {clusters} types x {level.markers_per_type} markers "
            f"plus {len(MT_GENES)} MT genes: use at least {needed}"
        )
    return level


class _Genes(NamedTuple):
    """The planted gene programme."""

    profiles: np.ndarray  # (clusters, genes): each type's expression, summing to 1
    mt_profile: np.ndarray  # (genes,): the MT genes' share of mitochondrial reads
    marker_of: np.ndarray  # (genes,): the type a gene marks, or ""


class _Cells(NamedTuple):
    """The planted cells."""

    types: np.ndarray  # planted type of each cell
    kind: np.ndarray  # singlet, low_quality or doublet
    is_doublet: np.ndarray
    partner: np.ndarray  # a doublet's second type
    library: np.ndarray  # expected UMIs
    mt_share: np.ndarray  # expected mitochondrial fraction


def _plant_genes(rng: np.random.Generator, genes: int, clusters: int, level: Difficulty) -> _Genes:
    """A log-normal baseline, MT genes first, then per-type profiles with planted markers."""
    n_mt = len(MT_GENES)
    baseline = rng.lognormal(mean=0.0, sigma=1.2, size=genes)
    baseline[:n_mt] = 0.0
    baseline[n_mt:] /= baseline[n_mt:].sum()
    mt_profile = np.zeros(genes)
    mt_profile[:n_mt] = rng.dirichlet(np.full(n_mt, 5.0))

    candidates = rng.permutation(np.arange(n_mt, genes))
    marker_of = np.full(genes, "", dtype=object)
    profiles = np.empty((clusters, genes))
    for k in range(clusters):
        log_fold = rng.normal(0.0, level.shared_fold_sd, size=genes)
        markers = candidates[k * level.markers_per_type : (k + 1) * level.markers_per_type]
        marker_of[markers] = f"type_{k}"
        log_fold[markers] = np.log(level.marker_fold) + rng.normal(0.0, 0.2, size=markers.size)
        profile = baseline * np.exp(log_fold)
        profiles[k] = profile / profile.sum()
    return _Genes(profiles, mt_profile, marker_of)


def _plant_cells(rng: np.random.Generator, cells: int, clusters: int, level: Difficulty) -> _Cells:
    """Unequal but bounded type proportions, then low-quality cells and doublets."""
    weights = rng.uniform(0.5, 1.5, size=clusters)
    types = rng.choice(clusters, size=cells, p=weights / weights.sum())
    kind = np.full(cells, "singlet", dtype=object)
    roles = rng.random(cells)
    kind[roles < level.low_quality_fraction] = "low_quality"
    is_doublet = (roles >= level.low_quality_fraction) & (
        roles < level.low_quality_fraction + level.doublet_fraction
    )
    kind[is_doublet] = "doublet"
    partner = (types + rng.integers(1, clusters, size=cells)) % clusters

    library = rng.lognormal(np.log(level.median_umis), 0.35, size=cells)
    mt_share = rng.beta(2.0, 50.0, size=cells)  # ~4 % in healthy cells
    low = kind == "low_quality"
    library[low] = rng.lognormal(np.log(level.median_umis / 6.0), 0.3, size=low.sum())
    mt_share[low] = rng.uniform(0.3, 0.7, size=low.sum())
    return _Cells(types, kind, is_doublet, partner, library, mt_share)


def _draw_counts(rng: np.random.Generator, planted: _Genes, cell: _Cells, level: Difficulty) -> Any:
    """Gamma-Poisson counts around each cell's expected expression, as float32 CSR."""
    import scipy.sparse as sp

    chunks = []
    r = 1.0 / level.dispersion
    for start in range(0, len(cell.types), _CHUNK):
        rows = slice(start, min(start + _CHUNK, len(cell.types)))
        share = cell.mt_share[rows, None]
        mu = planted.profiles[cell.types[rows]] * (1.0 - share)
        mu += planted.mt_profile * share
        mu *= cell.library[rows, None]
        doublets = np.flatnonzero(cell.kind[rows] == "doublet")
        if doublets.size:
            second = planted.profiles[cell.partner[rows][doublets]] * (
                1.0 - cell.mt_share[rows][doublets, None]
            )
            second += planted.mt_profile * cell.mt_share[rows][doublets, None]
            mu[doublets] += second * cell.library[rows][doublets, None]
        counts = rng.poisson(rng.gamma(r, mu / r))
        chunks.append(sp.csr_matrix(counts.astype(np.float32)))
    return sp.vstack(chunks, format="csr")


def simulate_counts(
    cells: int = 5000,
    genes: int = 2000,
    clusters: int = 8,
    difficulty: str = "easy",
    seed: int = 0,
) -> anndata.AnnData:
    """Draw a raw count matrix with planted cell types, markers, MT genes and bad cells.

    Args:
        cells: Number of cells (barcodes), low-quality cells and doublets included.
        genes: Number of genes, the 13 MT genes included.
        clusters: Number of planted cell types.
        difficulty: "easy" (strong markers, deep libraries) or "moderate".
        seed: Random seed; the same arguments give the same matrix.

    Returns:
        An AnnData with integer counts (float32 CSR) in `X` and the truth in `obs`/`var`.

    Raises:
        ValueError: The sizes cannot hold the planted structure, or the difficulty is unknown.
    """
    import anndata

    level = _check_arguments(cells, genes, clusters, difficulty)
    rng = np.random.default_rng(seed)
    planted = _plant_genes(rng, genes, clusters, level)
    cell = _plant_cells(rng, cells, clusters, level)
    matrix = _draw_counts(rng, planted, cell, level)

    is_doublet, types, partner = cell.is_doublet, cell.types, cell.partner
    truth_type = np.array([f"type_{t}" for t in types], dtype=object)
    truth_type[is_doublet] = [
        "+".join(sorted((f"type_{a}", f"type_{b}")))
        for a, b in zip(types[is_doublet], partner[is_doublet], strict=True)
    ]
    gene_names = list(MT_GENES) + [f"G{i:05d}" for i in range(1, genes - len(MT_GENES) + 1)]
    obs = pd.DataFrame(
        {
            "truth_type": pd.Categorical(truth_type),
            "truth_kind": pd.Categorical(
                cell.kind, categories=["singlet", "low_quality", "doublet"]
            ),
        },
        index=pd.Index([f"cell{i:06d}" for i in range(cells)], name="barcode"),
    )
    var = pd.DataFrame(
        {"planted_marker_of": planted.marker_of.astype(str)},
        index=pd.Index(gene_names, name="gene"),
    )
    adata = anndata.AnnData(X=matrix, obs=obs, var=var)
    adata.uns["demo"] = {
        "generator": "stargazer.demo.scrna.simulate_counts",
        "cells": cells,
        "genes": genes,
        "clusters": clusters,
        "difficulty": difficulty,
        "seed": seed,
    }
    return adata


def register_demo(
    cells: int = 5000,
    genes: int = 2000,
    clusters: int = 8,
    difficulty: str = "easy",
    seed: int = 0,
    sample_id: str = "demo-scrna",
) -> StoredAnnData:
    """Simulate a matrix (see `simulate_counts`) and register it as a `raw` AnnData asset.

    Returns:
        The registered asset; the same arguments give the same asset id.
    """
    import tempfile
    from pathlib import Path

    from stargazer import __version__
    from stargazer.types import AnnData as StoredAnnData

    adata = simulate_counts(cells, genes, clusters, difficulty, seed)
    params = {
        "cells": cells,
        "genes": genes,
        "clusters": clusters,
        "difficulty": difficulty,
        "seed": seed,
    }
    with tempfile.TemporaryDirectory(prefix="stargazer-demo-scrna-") as folder:
        path = Path(folder) / f"{sample_id}.raw.h5ad"
        adata.write_h5ad(path)
        return StoredAnnData.create_sync(
            path,
            tool="stargazer.demo.scrna",
            tool_version=__version__,
            params=params,
            sample_id=sample_id,
            stage="raw",
        )


@dataclass(frozen=True)
class ClusteringScore:
    """How well clusters and markers recover the planted truth.

    Attributes:
        ari: Adjusted Rand index of clusters against planted types (surviving singlets).
        marker_recall: Mean over planted types of the share of their markers found in the
            top markers of the cluster holding most of their cells.
        per_type_recall: Recall for each planted type.
        n_cells_scored: Singlets that survived QC and were scored.
        n_clusters: Clusters found.
    """

    ari: float
    marker_recall: float
    per_type_recall: dict[str, float]
    n_cells_scored: int
    n_clusters: int


def score_clustering(
    adata: anndata.AnnData,
    markers: pd.DataFrame,
    *,
    cluster_key: str = "leiden",
    top_n: int = 50,
) -> ClusteringScore:
    """Score clusters and marker genes against the planted truth of a demo matrix.

    Args:
        adata: A clustered AnnData descended from `simulate_counts` (keeps `truth_*` columns).
        markers: Marker table with columns `cluster`, `gene` and `rank` (1 = best), as written
            by `find_markers`.
        cluster_key: The `obs` column holding cluster labels.
        top_n: How many top markers per cluster count as found.

    Returns:
        The adjusted Rand index and the marker recall.

    Raises:
        ValueError: The AnnData carries no planted truth, or the markers table lacks columns.
    """
    from sklearn.metrics import adjusted_rand_score

    for column in ("truth_type", "truth_kind"):
        if column not in adata.obs:
            raise ValueError(f"no obs[{column!r}]: only demo data from simulate_counts has truth")
    if cluster_key not in adata.obs:
        raise ValueError(f"no obs[{cluster_key!r}]: run cluster first")
    missing = {"cluster", "gene", "rank"} - set(markers.columns)
    if missing:
        raise ValueError(f"markers table lacks columns {sorted(missing)}")

    singlets = (adata.obs["truth_kind"] == "singlet").to_numpy()
    truth = adata.obs["truth_type"].astype(str).to_numpy()[singlets]
    found = adata.obs[cluster_key].astype(str).to_numpy()[singlets]
    ari = float(adjusted_rand_score(truth, found))

    top = markers[markers["rank"] <= top_n]
    top_genes = {str(c): set(g["gene"]) for c, g in top.groupby("cluster", observed=True)}
    planted = adata.var["planted_marker_of"].astype(str)
    crosstab = pd.crosstab(pd.Series(truth, name="truth"), pd.Series(found, name="cluster"))
    recall = {}
    for cell_type in sorted(set(planted) - {""}):
        genes = set(planted.index[planted == cell_type])
        if cell_type not in crosstab.index or not genes:
            continue
        best = str(crosstab.loc[cell_type].idxmax())
        recall[cell_type] = len(genes & top_genes.get(best, set())) / len(genes)
    return ClusteringScore(
        ari=ari,
        marker_recall=float(np.mean(list(recall.values()))) if recall else 0.0,
        per_type_recall=recall,
        n_cells_scored=int(singlets.sum()),
        n_clusters=int(adata.obs[cluster_key].nunique()),
    )


__all__ = [
    "DIFFICULTIES",
    "MT_GENES",
    "ClusteringScore",
    "Difficulty",
    "score_clustering",
    "simulate_counts",
]
