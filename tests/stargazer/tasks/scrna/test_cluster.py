import flyte.errors
import pytest
from sklearn.metrics import adjusted_rand_score
from tests.stargazer.tasks.scrna.reduced import reduced

from stargazer.tasks import cluster
from stargazer.tasks.scrna.cluster import leiden
from stargazer.testing import run
from stargazer.testing.scrna import read, stored


def test_leiden_recovers_the_planted_types(workspace):
    data = stored(reduced(), workspace / "in", "reduced")
    out = run(cluster, data=data, resolution=0.5)
    assert out.stage == "clustered" and out.parents == [data.id]
    assert out.params == {
        "resolution": "0.5",
        "random_state": "0",
        "flavor": "igraph",
        "n_clusters": "4",
    }
    adata = read(out)
    singlets = adata.obs["truth_kind"] == "singlet"
    ari = adjusted_rand_score(adata.obs["truth_type"][singlets], adata.obs["leiden"][singlets])
    assert ari > 0.99


def test_higher_resolution_gives_more_clusters():
    coarse = leiden(reduced(), resolution=0.2).obs["leiden"].nunique()
    fine = leiden(reduced(), resolution=3.0).obs["leiden"].nunique()
    assert fine > coarse


def test_without_a_graph_or_with_a_bad_resolution(workspace):
    adata = reduced()
    with pytest.raises(ValueError, match="resolution=0: use a positive number"):
        leiden(adata, resolution=0)
    del adata.obsp["connectivities"]
    data = stored(adata, workspace / "in", "features")
    with pytest.raises(flyte.errors.RuntimeUserError, match="run reduce_dimensions first"):
        run(cluster, data=data)
