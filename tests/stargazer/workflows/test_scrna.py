import flyte.errors
import pandas as pd
import pytest

from stargazer.demo.scrna import score_clustering
from stargazer.testing import run, task_runs
from stargazer.testing.scrna import counts, read, stored
from stargazer.types import Asset, assemble
from stargazer.workflows import scrna_clustering


def _lineage_stages(asset) -> list[str]:
    stages = [asset.stage]
    while asset.parents:
        asset = Asset.load(asset.parents[0])
        stages.append(asset.stage)
    return stages


def test_two_samples_end_to_end_recover_the_planted_types(workspace):
    first = stored(counts(cells=300, seed=5), workspace / "in", "raw", "a")
    second = stored(counts(cells=260, seed=5), workspace / "in2", "raw", "b")
    markers, table = run(scrna_clustering, samples=[first, second], min_genes=100, resolution=0.5)
    assert markers.stage == "markers" and markers.sample_id == "a+b"
    assert _lineage_stages(markers) == [
        "markers",
        "clustered",
        "reduced",
        "features",
        "merged",
        "normalized",
        "qc",
        "raw",
    ]
    assert {a.sample_id for a in assemble(kind="anndata", stage="qc")} == {"a", "b"}
    assert markers.params["method"] == "wilcoxon"
    adata = read(markers)
    assert set(adata.obs["sample"]) == {"a", "b"}
    assert set(adata.uns["stargazer"]) >= {"qc", "normalized", "features", "reduced", "clustered"}
    score = score_clustering(adata, pd.read_csv(table.path, sep="\t"))
    assert score.ari > 0.99 and score.n_clusters == 4
    assert score.marker_recall > 0.8


def test_new_resolution_reruns_only_cluster_and_markers(workspace):
    raw = stored(counts(), workspace / "in", "raw")
    first, _ = run(scrna_clustering, samples=[raw], min_genes=100, resolution=0.5)
    second, _ = run(scrna_clustering, samples=[raw], min_genes=100, resolution=1.5)
    assert second.id != first.id
    runs = task_runs(workspace)
    last = runs[-1][0]
    executed = {name for run_name, name, hit in runs if run_name == last and not hit}
    hits = {name for run_name, name, hit in runs if run_name == last and hit}
    assert executed == {"scrna_clustering", "cluster", "find_markers"}
    assert hits == {"qc_filter", "normalize", "select_features", "reduce_dimensions"}
    first_reduced = Asset.load(Asset.load(first.parents[0]).parents[0])
    second_reduced = Asset.load(Asset.load(second.parents[0]).parents[0])
    assert first_reduced.id == second_reduced.id and first_reduced.stage == "reduced"


def test_repeated_sample_ids_are_refused(workspace):
    raw = stored(counts(cells=100, genes=300, clusters=2), workspace / "in", "raw")
    with pytest.raises(flyte.errors.RuntimeUserError, match="distinct sample_id"):
        run(scrna_clustering, samples=[raw, raw])
