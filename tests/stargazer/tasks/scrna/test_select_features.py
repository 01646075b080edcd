import flyte.errors
import pytest

from stargazer.tasks import select_features
from stargazer.tasks.scrna.normalize import normalize_counts
from stargazer.tasks.scrna.qc_filter import filter_cells
from stargazer.tasks.scrna.select_features import highly_variable
from stargazer.testing import run
from stargazer.testing.scrna import counts, read, stored


def _normalized():
    return normalize_counts(filter_cells(counts(), min_genes=100))


def test_seurat_v3_flags_planted_markers(workspace):
    data = stored(_normalized(), workspace / "in", "normalized")
    out = run(select_features, data=data, n_top_genes=200)
    assert out.stage == "features"
    assert out.params == {"n_top_genes": "200", "flavor": "seurat_v3"}
    adata = read(out)
    assert adata.var["highly_variable"].sum() == 200
    markers = adata.var["planted_marker_of"] != ""
    assert adata.var.loc[markers, "highly_variable"].mean() > 0.9


def test_seurat_v3_without_counts_layer_is_refused():
    adata = _normalized()
    del adata.layers["counts"]
    with pytest.raises(ValueError, match=r"no layers\['counts'\]: run normalize first"):
        highly_variable(adata)
    assert highly_variable(adata, n_top_genes=100, flavor="seurat").var["highly_variable"].any()


def test_unknown_flavor_through_flyte(workspace):
    data = stored(_normalized(), workspace / "in", "normalized")
    with pytest.raises(flyte.errors.RuntimeUserError, match="flavor='pearson': use one of"):
        run(select_features, data=data, flavor="pearson")
