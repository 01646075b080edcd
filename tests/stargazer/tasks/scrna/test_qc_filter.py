import anndata
import flyte.errors
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from stargazer.tasks import qc_filter
from stargazer.tasks.scrna.qc_filter import (
    filter_cells,
    low_yield_warning,
    suggest_thresholds,
)
from stargazer.testing import run, store_ids, task_runs
from stargazer.testing.scrna import counts, read, stored
from stargazer.workflows import scrna_clustering


def test_qc_removes_low_quality_cells_and_doublets(workspace):
    raw = stored(counts(), workspace / "in", "raw")
    qc = run(qc_filter, data=raw, min_genes=100, max_pct_mt=20.0)
    assert (qc.stage, qc.sample_id) == ("qc", "s1")
    assert qc.parents == [raw.id]
    assert qc.params == {
        "min_genes": "100",
        "min_counts": "0",
        "max_pct_mt": "20.0",
        "min_cells": "3",
        "remove_doublets": "true",
        "random_state": "0",
    }
    adata = read(qc)
    kinds = adata.obs["truth_kind"].astype(str).value_counts()
    before = counts().obs["truth_kind"].astype(str).value_counts()
    assert "low_quality" not in kinds and before["low_quality"] > 5
    assert kinds.get("doublet", 0) <= before["doublet"] // 2, "scrublet should catch most doublets"
    assert kinds["singlet"] >= 0.97 * before["singlet"]
    for column in ("n_genes_by_counts", "total_counts", "pct_counts_mt", "doublet_score"):
        assert column in adata.obs
    assert adata.var.loc["MT-CO1", "mt"]
    assert adata.obs["pct_counts_mt"].max() <= 20.0
    assert adata.uns["stargazer"]["qc"]["min_genes"] == "100"


def test_mouse_mitochondrial_genes_count_too():
    adata = counts(cells=200, genes=300, clusters=2)
    adata.var_names = [n.replace("MT-", "mt-") for n in adata.var_names]
    filtered = filter_cells(adata, min_genes=50, remove_doublets=False)
    assert filtered.var["mt"].sum() == 13
    assert (filtered.obs["truth_kind"] != "low_quality").all()


def test_threshold_that_keeps_no_cell_says_which_and_what_keeps_cells():
    adata = counts(cells=200, genes=300, clusters=2)
    with pytest.raises(
        ValueError, match=r"min_genes=5000 removes all 200 cells .*keeps about half"
    ):
        filter_cells(adata, min_genes=5000, max_pct_mt=20.0)


def test_thresholds_that_only_together_keep_no_cell():
    # cell a: many genes, half mitochondrial; cell b: few genes, no mitochondrial counts
    matrix = np.array([[5, 1, 1, 1, 1, 1], [0, 1, 1, 0, 0, 0]], dtype=np.float32)
    adata = anndata.AnnData(
        X=sp.csr_matrix(matrix),
        obs=pd.DataFrame(index=["a", "b"]),
        var=pd.DataFrame(index=["MT-CO1", "g1", "g2", "g3", "g4", "g5"]),
    )
    with pytest.raises(ValueError, match="each threshold keeps some cells but together"):
        filter_cells(adata, min_genes=4, max_pct_mt=10.0)


def test_empty_result_through_flyte_registers_nothing_new(workspace):
    raw = stored(counts(cells=200, genes=300, clusters=2), workspace / "in", "raw")
    with pytest.raises(flyte.errors.RuntimeUserError, match="max_pct_mt=0 removes all 200"):
        run(qc_filter, data=raw, min_genes=10, max_pct_mt=0.0)
    assert store_ids() == [raw.id]


def _metrics(adata: anndata.AnnData) -> pd.DataFrame:
    import scanpy as sc

    adata = adata.copy()
    adata.var["mt"] = adata.var_names.str.startswith("MT-")
    sc.pp.calculate_qc_metrics(adata, qc_vars=["mt"], percent_top=None, inplace=True)
    return adata.obs


def _panel(cells: int = 400) -> anndata.AnnData:
    """Demo counts cut down to a 160-gene panel: cells detect far fewer than 200 genes."""
    adata = counts(cells=cells, genes=1000, clusters=3)
    mito = [g for g in adata.var_names if g.startswith("MT-")]
    return adata[:, [g for g in adata.var_names if g not in mito][:157] + mito[:3]].copy()


def _kept(obs: pd.DataFrame, min_genes: int) -> int:
    return int(((obs["n_genes_by_counts"] >= min_genes) & (obs["pct_counts_mt"] <= 20)).sum())


def test_low_yield_warns_and_suggests_thresholds_from_the_data():
    adata = _panel()
    obs = _metrics(adata)
    # the default min_genes=200 keeps nothing on a panel; a threshold at the 97th percentile
    # of genes per cell keeps ~3% of the cells
    min_genes = int(np.quantile(obs["n_genes_by_counts"], 0.97))
    kept = _kept(obs, min_genes)
    assert 0 < kept < 40
    with pytest.warns(UserWarning, match=rf"QC keeps {kept} of 400 cells .*under 10%") as caught:
        filtered = filter_cells(adata, min_genes=min_genes, remove_doublets=False)
    message = str(next(w.message for w in caught if "QC keeps" in str(w.message)))
    suggested = suggest_thresholds(obs, min_genes=min_genes, min_counts=0, max_pct_mt=20.0)
    assert suggested["min_genes"] == int(np.floor(np.quantile(obs["n_genes_by_counts"], 0.05)))
    assert suggested["min_genes"] < min_genes
    assert f"min_genes={suggested['min_genes']}" in message
    assert f"min_genes={min_genes:g} alone removes {400 - kept}" in message
    assert filtered.uns["stargazer"]["qc_summary"]["warning"] == message
    # the suggested thresholds keep most cells, and do not warn
    passing = (
        (obs["n_genes_by_counts"] >= suggested["min_genes"])
        & (obs["total_counts"] >= suggested["min_counts"])
        & (obs["pct_counts_mt"] <= suggested["max_pct_mt"])
    )
    assert passing.mean() >= 0.85
    assert f"keeping {int(passing.sum())} cells" in message
    assert low_yield_warning(obs, **suggested) is None


def test_suggestions_never_tighten_thresholds_and_good_data_does_not_warn(recwarn):
    obs = _metrics(counts(cells=300, genes=500, clusters=2))
    loose = {"min_genes": 0, "min_counts": 0, "max_pct_mt": 100.0}
    assert suggest_thresholds(obs, **loose) == loose
    filter_cells(counts(cells=300, genes=500, clusters=2), min_genes=100, remove_doublets=False)
    assert not [w for w in recwarn if "QC keeps" in str(w.message)]


def test_too_few_cells_for_the_neighbour_graph_fail_right_after_qc(workspace):
    adata = _panel(cells=300)
    obs = _metrics(adata)
    values = np.unique(obs["n_genes_by_counts"].to_numpy())
    min_genes = int(next(v for v in values[::-1] if _kept(obs, v) >= 8))  # keeps ~10 cells
    kept = _kept(obs, min_genes)
    assert 3 <= kept < 16
    raw = stored(adata, workspace / "in", "raw")
    with pytest.raises(
        flyte.errors.RuntimeUserError,
        match=rf"QC kept {kept} cell.*n_neighbors=15 needs at least 16: set "
        rf"n_neighbors={kept - 1} \(or lower\), or loosen QC\. .*QC keeps {kept} of 300 cells"
        r".*min_genes=\d+, min_counts=\d+, max_pct_mt=",
    ):
        run(scrna_clustering, samples=[raw], min_genes=min_genes)
    ran = {name for _, name, _ in task_runs(workspace)}
    assert "qc_filter" in ran
    assert not ran & {"normalize", "select_features", "reduce_dimensions"}, ran
