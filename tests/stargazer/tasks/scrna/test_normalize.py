import numpy as np

from stargazer.tasks import normalize
from stargazer.tasks.scrna.qc_filter import filter_cells
from stargazer.testing import run
from stargazer.testing.scrna import counts, read, stored


def test_normalize_keeps_counts_and_logs_x(workspace):
    qc = stored(filter_cells(counts(), min_genes=100), workspace / "in", "qc")
    out = run(normalize, data=qc, target_sum=1000.0)
    assert (out.stage, out.params, out.parents) == ("normalized", {"target_sum": "1000.0"}, [qc.id])
    adata = read(out)
    totals = np.expm1(adata.X).sum(axis=1)
    assert np.allclose(totals, 1000.0, rtol=1e-3)
    raw = read(qc)
    assert (adata.layers["counts"] != raw.X).nnz == 0
