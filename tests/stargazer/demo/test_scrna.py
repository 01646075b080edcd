import numpy as np
import pandas as pd
import pytest

from stargazer.demo.scrna import MT_GENES, register_demo, score_clustering, simulate_counts


def test_same_seed_same_matrix_other_seed_differs():
    one = simulate_counts(cells=300, genes=500, clusters=3, seed=7)
    two = simulate_counts(cells=300, genes=500, clusters=3, seed=7)
    other = simulate_counts(cells=300, genes=500, clusters=3, seed=8)
    assert (one.X != two.X).nnz == 0
    assert one.obs.equals(two.obs) and one.var.equals(two.var)
    assert (one.X != other.X).nnz > 0


def test_counts_truth_and_planted_structure():
    adata = simulate_counts(cells=2000, genes=800, clusters=5, difficulty="easy", seed=1)
    assert adata.shape == (2000, 800)
    values = adata.X.data
    assert (values == np.round(values)).all() and values.min() > 0
    assert list(adata.var_names[:13]) == list(MT_GENES)
    kinds = adata.obs["truth_kind"].value_counts()
    assert kinds["singlet"] > 1800 and kinds["low_quality"] > 30 and kinds["doublet"] > 20
    singlet_types = adata.obs.loc[adata.obs["truth_kind"] == "singlet", "truth_type"]
    assert set(singlet_types.astype(str)) == {f"type_{k}" for k in range(5)}
    doublet_types = adata.obs.loc[adata.obs["truth_kind"] == "doublet", "truth_type"].astype(str)
    assert doublet_types.str.contains(r"^type_\d\+type_\d$").all()
    planted = adata.var["planted_marker_of"]
    assert (planted.value_counts() == 25).sum() == 5

    totals = np.asarray(adata.X.sum(axis=1)).ravel()
    mt = np.asarray(adata[:, list(MT_GENES)].X.sum(axis=1)).ravel() / totals
    kind = adata.obs["truth_kind"].to_numpy()
    assert np.median(mt[kind == "low_quality"]) > 0.25 > np.median(mt[kind == "singlet"]) * 4
    assert np.median(totals[kind == "doublet"]) > 1.5 * np.median(totals[kind == "singlet"])
    assert np.median(totals[kind == "low_quality"]) < 0.3 * np.median(totals[kind == "singlet"])

    # a planted marker is higher in its own type than elsewhere
    gene = planted.index[planted == "type_2"][0]
    expression = adata.obs_vector(gene)
    own = (adata.obs["truth_type"] == "type_2").to_numpy() & (kind == "singlet")
    rest = (adata.obs["truth_type"] != "type_2").to_numpy() & (kind == "singlet")
    assert expression[own].mean() > 3 * expression[rest].mean()


def test_moderate_is_weaker_than_easy():
    easy = simulate_counts(cells=400, genes=1000, clusters=4, difficulty="easy", seed=2)
    moderate = simulate_counts(cells=400, genes=1000, clusters=4, difficulty="moderate", seed=2)
    assert moderate.X.sum() < easy.X.sum()
    assert (moderate.obs["truth_kind"] == "doublet").sum() > (
        easy.obs["truth_kind"] == "doublet"
    ).sum()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"difficulty": "hard"}, "unknown difficulty 'hard'"),
        ({"clusters": 1}, "plant at least 2 cell types"),
        ({"cells": 50, "clusters": 5}, "use at least 100"),
        ({"genes": 100, "clusters": 8}, "genes=100 is too few"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_counts(**kwargs)


def test_score_against_truth():
    adata = simulate_counts(cells=300, genes=500, clusters=3, seed=4)
    adata.obs["leiden"] = adata.obs["truth_type"].astype(str)
    planted = adata.var["planted_marker_of"]
    rows = [
        {"cluster": t, "gene": g, "rank": r + 1}
        for t in ("type_0", "type_1", "type_2")
        for r, g in enumerate(planted.index[planted == t])
    ]
    perfect = score_clustering(adata, pd.DataFrame(rows))
    assert perfect.ari == 1.0 and perfect.marker_recall == 1.0 and perfect.n_clusters > 3
    adata.obs["leiden"] = "0"
    lumped = score_clustering(adata, pd.DataFrame(rows[:5]).assign(cluster="0"))
    assert lumped.ari == 0.0 and lumped.marker_recall < 0.2
    with pytest.raises(ValueError, match="lacks columns"):
        score_clustering(adata, pd.DataFrame({"gene": []}))
    del adata.obs["truth_type"]
    with pytest.raises(ValueError, match="only demo data from simulate_counts has truth"):
        score_clustering(adata, pd.DataFrame(rows))


def test_register_demo_is_a_raw_asset_and_deterministic(workspace):
    asset = register_demo(cells=200, genes=300, clusters=2, seed=3, sample_id="d")
    again = register_demo(cells=200, genes=300, clusters=2, seed=3, sample_id="d")
    assert asset.id == again.id
    assert (asset.stage, asset.sample_id, asset.n_obs, asset.n_vars) == ("raw", "d", 200, 300)
    assert asset.tool == "stargazer.demo.scrna" and asset.params["seed"] == "3"
