import anndata
import flyte.errors
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from tests.stargazer.scrna_data import counts, read, run, store_ids, stored

from stargazer.tasks import qc_filter
from stargazer.tasks.scrna.qc_filter import filter_cells


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
