import flyte.errors
import numpy as np
import pytest

from stargazer.tasks import reduce_dimensions
from stargazer.tasks.scrna.normalize import normalize_counts
from stargazer.tasks.scrna.qc_filter import filter_cells
from stargazer.tasks.scrna.reduce_dimensions import neighbor_transformer
from stargazer.tasks.scrna.select_features import highly_variable
from stargazer.testing import run
from stargazer.testing.scrna import counts, read, stored


def _features(cells=500, genes=600, clusters=4, qc=True):
    adata = counts(cells, genes, clusters)
    if qc:
        adata = filter_cells(adata, min_genes=50, remove_doublets=False)
    return highly_variable(normalize_counts(adata), n_top_genes=300)


def test_pca_neighbours_and_umap(workspace):
    data = stored(_features(), workspace / "in", "features")
    out = run(reduce_dimensions, data=data, n_comps=20)
    assert out.stage == "reduced" and out.parents == [data.id]
    assert out.params["n_comps"] == "20" and out.params["transformer"] == "sklearn"
    adata = read(out)
    assert adata.obsm["X_pca"].shape == (adata.n_obs, 20)
    assert adata.obsm["X_umap"].shape == (adata.n_obs, 2)
    assert adata.obsp["connectivities"].shape == (adata.n_obs, adata.n_obs)
    assert np.isfinite(adata.obsm["X_umap"]).all()


def test_neighbours_above_4096_cells(workspace):
    # scanpy switches to pynndescent above 4096 cells by default, where pynndescent 0.7.0 breaks
    # it; here "auto" keeps exact search (pynndescent 0.6.0 itself is exercised by the
    # benchmark, whose numba compilation is too slow for the test budget).
    adata = _features(cells=4400, genes=200, clusters=3, qc=False)
    assert adata.n_obs > 4096
    data = stored(adata, workspace / "in", "features")
    out = run(reduce_dimensions, data=data, n_comps=10)
    assert out.params["transformer"] == "sklearn"
    graph = read(out).obsp["distances"]
    assert graph.shape == (out.n_obs, out.n_obs)
    assert (np.diff(graph.indptr) == 14).all(), "each cell has n_neighbors - 1 neighbours"


def test_auto_picks_exact_search_up_to_50k_cells():
    assert neighbor_transformer(20_000) == "sklearn"
    assert neighbor_transformer(80_000) == "pynndescent"
    with pytest.raises(ValueError, match="neighbors_method='annoy'"):
        neighbor_transformer(10, "annoy")


def test_too_few_cells_for_the_neighbours(workspace):
    data = stored(_features(cells=120, genes=300, clusters=2), workspace / "in", "features")
    with pytest.raises(flyte.errors.RuntimeUserError, match="n_neighbors=200 needs more than"):
        run(reduce_dimensions, data=data, n_neighbors=200)
