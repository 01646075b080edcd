import gzip

import numpy as np
import pytest
import scipy.sparse as sp

from stargazer.tasks.scrna.readers import h5_genomes, read_10x_h5, read_10x_mtx, read_counts
from stargazer.testing.scrna import counts
from stargazer.testing.tenx import (
    copy_folder,
    write_h5,
    write_h5_genomes,
    write_mtx,
)


@pytest.fixture(scope="module")
def small():
    adata = counts(cells=120, genes=200, clusters=2)
    return adata.X.astype(np.int64), list(adata.obs_names), list(adata.var_names)


def _same(adata, matrix, barcodes, genes):
    assert adata.shape == (len(barcodes), len(genes))
    assert list(adata.obs_names) == barcodes and list(adata.var_names) == genes
    assert (sp.csr_matrix(adata.X) != sp.csr_matrix(matrix)).nnz == 0
    assert adata.X.dtype == np.float32


@pytest.mark.parametrize(("version", "gz"), [(2, False), (2, True), (3, True), (3, False)])
def test_matrix_market_layouts(tmp_path, small, version, gz):
    folder = write_mtx(tmp_path / "mtx", *small, version=version, gz=gz)
    adata = read_counts(folder)
    _same(adata, *small)
    assert adata.var["gene_ids"].str.startswith("ENSG").all()


@pytest.mark.parametrize("version", [2, 3])
def test_10x_h5_layouts(tmp_path, small, version):
    path = write_h5(tmp_path / "filtered_feature_bc_matrix.h5", *small, version=version)
    _same(read_counts(path), *small)


def test_h5ad_with_counts_in_a_layer(tmp_path, small):
    matrix, barcodes, genes = small
    adata = counts(cells=120, genes=200, clusters=2)
    adata.layers["counts"] = adata.X.copy()
    adata.X = adata.X * 0.5
    adata.write_h5ad(tmp_path / "x.h5ad")
    _same(read_counts(tmp_path / "x.h5ad", layer="counts"), matrix, barcodes, genes)
    with pytest.raises(ValueError, match=r"no layer 'spliced' \(layers: counts\)"):
        read_counts(tmp_path / "x.h5ad", layer="spliced")


def test_v3_keeps_gene_expression_only(tmp_path, small):
    matrix, barcodes, genes = small
    types = ["Gene Expression"] * (len(genes) - 5) + ["Antibody Capture"] * 5
    folder = write_mtx(tmp_path / "mtx", matrix, barcodes, genes, feature_types=types)
    assert read_10x_mtx(folder).n_vars == len(genes) - 5


def test_barcodes_that_do_not_match_the_matrix(tmp_path, small):
    folder = copy_folder(write_mtx(tmp_path / "mtx", *small), tmp_path / "bad")
    lines = gzip.decompress((folder / "barcodes.tsv.gz").read_bytes()).splitlines()
    (folder / "barcodes.tsv.gz").write_bytes(gzip.compress(b"\n".join(lines[:-3]) + b"\n"))
    with pytest.raises(ValueError, match=r"120 barcode columns, but .* lists 117 barcodes"):
        read_10x_mtx(folder)


def test_features_that_do_not_match_the_matrix(tmp_path, small):
    matrix, barcodes, genes = small
    folder = write_mtx(tmp_path / "v2", matrix, barcodes, genes, version=2, gz=False)
    (folder / "genes.tsv").write_text("ENSG1\tA\n")
    with pytest.raises(ValueError, match=r"200 feature rows .* genes.tsv lists 1 features"):
        read_10x_mtx(folder)


def test_transposed_matrix_is_named(tmp_path, small):
    matrix, barcodes, genes = small
    folder = write_mtx(tmp_path / "t", matrix.T, genes, barcodes, gz=False)
    (folder / "barcodes.tsv").write_text("".join(f"{b}\n" for b in barcodes))
    rows = "".join(f"ENSG{i}\t{g}\tGene Expression\n" for i, g in enumerate(genes))
    (folder / "features.tsv").write_text(rows)
    with pytest.raises(ValueError, match="looks transposed"):
        read_10x_mtx(folder)


def test_missing_file_and_unknown_formats(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no matrix\.mtx file"):
        read_counts(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_counts(tmp_path / "nothing.h5ad")
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match=r"not a 10x folder, \.h5 or \.h5ad"):
        read_counts(tmp_path / "x.csv")
    (tmp_path / "x.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        read_10x_h5(tmp_path / "x.h5")


@pytest.fixture(scope="module")
def barnyard():
    """A human and a mouse matrix over the same barcodes, with different genes."""
    human = counts(cells=60, genes=150, clusters=2, seed=1)
    mouse = counts(cells=60, genes=120, clusters=2, seed=2)
    barcodes = list(human.obs_names)
    mouse_genes = [f"mm10_{g.replace('MT-', 'mt-')}" for g in mouse.var_names]
    return {
        "GRCh38": (human.X.astype(np.int64), barcodes, list(human.var_names)),
        "mm10": (mouse.X.astype(np.int64), barcodes, mouse_genes),
    }


def test_cell_ranger_2_multi_genome_h5_needs_a_genome_and_lists_them(tmp_path, barnyard):
    path = write_h5_genomes(tmp_path / "barnyard.h5", barnyard, version=2)
    assert h5_genomes(path) == ["GRCh38", "mm10"]
    with pytest.raises(ValueError, match=r"holds 2 genomes \('GRCh38', 'mm10'\).*pass genome="):
        read_counts(path)
    for genome, expected in barnyard.items():
        _same(read_counts(path, genome=genome), *expected)
    with pytest.raises(ValueError, match=r"no genome 'hg19'.*'GRCh38', 'mm10'"):
        read_counts(path, genome="hg19")


def test_cell_ranger_3_multi_genome_h5_reads_all_or_one_genome(tmp_path, barnyard):
    path = write_h5_genomes(tmp_path / "barnyard3.h5", barnyard, version=3)
    assert h5_genomes(path) == ["GRCh38", "mm10"]
    assert read_counts(path).n_vars == 150 + 120  # one matrix: every feature by default
    _same(read_counts(path, genome="mm10"), *barnyard["mm10"])
    with pytest.raises(ValueError, match=r"no genome 'hg19'.*'GRCh38', 'mm10'"):
        read_counts(path, genome="hg19")


def test_single_genome_files_and_genome_for_other_formats(tmp_path, small):
    path = write_h5(tmp_path / "one.h5", *small, version=2)
    assert h5_genomes(path) == ["GRCh38"]
    _same(read_counts(path, genome="GRCh38"), *small)
    folder = write_mtx(tmp_path / "mtx", *small)
    with pytest.raises(ValueError, match=r"genome='GRCh38' applies to 10x \.h5 files only"):
        read_counts(folder, genome="GRCh38")
