import pytest

from stargazer.tasks import merge_samples
from stargazer.tasks.scrna.merge_samples import concatenate
from stargazer.tasks.scrna.normalize import normalize_counts
from stargazer.testing import run
from stargazer.testing.scrna import counts, read, stored


def test_two_samples_are_merged_with_their_sample_ids(workspace):
    a = stored(normalize_counts(counts(cells=200, seed=1)), workspace / "in", "normalized", "a")
    b = stored(normalize_counts(counts(cells=150, seed=2)), workspace / "in", "normalized", "b")
    merged = run(merge_samples, samples=[a, b])
    assert (merged.stage, merged.sample_id, merged.n_obs) == ("merged", "a+b", 350)
    assert merged.parents == [a.id, b.id]
    adata = read(merged)
    assert adata.obs["sample"].value_counts().to_dict() == {"a": 200, "b": 150}
    assert adata.obs_names.is_unique and "counts" in adata.layers


def test_repeated_sample_ids_are_refused():
    one = counts(cells=100, genes=300, clusters=2)
    with pytest.raises(ValueError, match="sample ids must differ"):
        concatenate([one, one.copy()], ["x", "x"])
