import flyte.errors
import numpy as np
import pytest

from stargazer.tasks import import_counts
from stargazer.testing import run, store_ids
from stargazer.testing.scrna import counts, read
from stargazer.testing.tenx import write_h5, write_h5_genomes, write_mtx


@pytest.fixture(scope="module")
def small():
    adata = counts(cells=150, genes=200, clusters=2)
    return adata.X.astype(np.int64), list(adata.obs_names), list(adata.var_names)


@pytest.mark.parametrize("layout", ["mtx_v2", "mtx_v3_gz", "h5", "h5ad"])
def test_each_layout_becomes_a_raw_asset(workspace, small, layout):
    matrix = small[0]
    if layout == "mtx_v2":
        path = write_mtx(workspace / "v2", *small, version=2, gz=False)
    elif layout == "mtx_v3_gz":
        path = write_mtx(workspace / "v3", *small, version=3, gz=True)
    elif layout == "h5":
        path = write_h5(workspace / "m.h5", *small)
    else:
        path = workspace / "m.h5ad"
        counts(cells=150, genes=200, clusters=2).write_h5ad(path)
    raw = run(import_counts, path=str(path), sample_id="pbmc")
    assert (raw.stage, raw.sample_id, raw.n_obs, raw.n_vars) == ("raw", "pbmc", 150, 200)
    assert raw.params == {"path": str(path), "layer": ""}
    assert raw.tool == "scanpy"
    adata = read(raw)
    assert adata.X.sum() == matrix.sum()
    assert adata.uns["stargazer"]["raw"]["path"] == str(path)


def test_normalised_h5ad_is_refused_and_registers_nothing(workspace):
    adata = counts(cells=150, genes=200, clusters=2)
    adata.X = np.log1p(adata.X)
    adata.write_h5ad(workspace / "norm.h5ad")
    with pytest.raises(flyte.errors.RuntimeUserError, match="looks normalised or log-transformed"):
        run(import_counts, path=str(workspace / "norm.h5ad"), sample_id="x")
    assert store_ids() == []


def test_mismatched_barcodes_registers_nothing(workspace, small):
    matrix, barcodes, genes = small
    folder = write_mtx(workspace / "bad", matrix, barcodes, genes, gz=False)
    (folder / "barcodes.tsv").write_text("".join(f"{b}\n" for b in barcodes[:-1]))
    with pytest.raises(flyte.errors.RuntimeUserError, match="lists 149 barcodes"):
        run(import_counts, path=str(folder))
    assert store_ids() == []


def test_duplicate_gene_names_are_made_unique(workspace, small):
    matrix, barcodes, genes = small
    folder = write_mtx(workspace / "dup", matrix, barcodes, ["MT-CO1", *genes[:-1]], gz=False)
    with pytest.warns(UserWarning, match="made unique"):
        raw = run(import_counts, path=str(folder))
    assert read(raw).var_names.is_unique


def test_multi_genome_h5_imports_the_chosen_genome(workspace, small):
    matrix, barcodes, genes = small
    mouse = [f"mm10_{g}" for g in genes[:150]]
    path = write_h5_genomes(
        workspace / "barnyard.h5",
        {"GRCh38": small, "mm10": (matrix[:, :150], barcodes, mouse)},
        version=2,
    )
    with pytest.raises(flyte.errors.RuntimeUserError, match=r"2 genomes \('GRCh38', 'mm10'\)"):
        run(import_counts, path=str(path), sample_id="mix")
    assert store_ids() == []
    raw = run(import_counts, path=str(path), sample_id="mix", genome="mm10")
    assert (raw.n_obs, raw.n_vars) == (150, 150)
    assert raw.params == {"path": str(path), "layer": "", "genome": "mm10"}
    assert list(read(raw).var_names) == mouse
