import flyte.errors
import pandas as pd
import pytest
from tests.stargazer.tasks.scrna.reduced import reduced

from stargazer.demo.scrna import score_clustering
from stargazer.tasks import find_markers
from stargazer.tasks.scrna.cluster import leiden
from stargazer.testing import run
from stargazer.testing.scrna import read, stored


def test_markers_table_and_rankings(workspace):
    data = stored(leiden(reduced(), resolution=0.5), workspace / "in", "clustered")
    adata_asset, table = run(find_markers, data=data, n_genes=30)
    assert adata_asset.stage == "markers" and adata_asset.parents == [data.id]
    assert adata_asset.params == {"groupby": "leiden", "method": "wilcoxon", "n_genes": "30"}
    assert (table.name, table.format, table.parents) == ("marker_genes", "tsv", [adata_asset.id])
    assert table.params["stage"] == "markers"
    markers = pd.read_csv(table.path, sep="\t")
    assert list(markers.columns) == [
        "cluster",
        "rank",
        "gene",
        "score",
        "logfoldchange",
        "pval",
        "pval_adj",
        "pct_in",
        "pct_out",
    ]
    assert len(markers) == 4 * 30
    assert markers.groupby("cluster")["rank"].max().eq(30).all()
    adata = read(adata_asset)
    assert "rank_genes_groups" in adata.uns
    score = score_clustering(adata, markers, top_n=30)
    assert score.ari > 0.99 and score.marker_recall > 0.8


def test_one_cluster_is_refused(workspace):
    adata = reduced()
    adata.obs["leiden"] = "0"
    data = stored(adata, workspace / "in", "clustered")
    with pytest.raises(flyte.errors.RuntimeUserError, match="one group only"):
        run(find_markers, data=data)
