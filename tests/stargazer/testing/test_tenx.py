"""The Cell Ranger builders write files that scanpy's own 10x readers read back exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scanpy as sc
import scipy.sparse as sp

from stargazer.testing.tenx import copy_folder, write_h5, write_h5_genomes, write_mtx

BARCODES = [f"AAAC{i:04d}-1" for i in range(6)]
GENES = ["CD3E", "MS4A1", "LYZ", "NKG7"]


def _matrix(cells: int = 6, genes: int = 4, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    return sp.csr_matrix(rng.poisson(1.5, size=(cells, genes)).astype(np.int32))


@pytest.mark.parametrize("version", [2, 3])
def test_write_mtx_reads_back_with_scanpy(tmp_path: Path, version: int):
    matrix = _matrix()
    gz = version == 3  # Cell Ranger 2 wrote plain text, 3 gzips (scanpy expects both so)
    folder = write_mtx(tmp_path / "filtered", matrix, BARCODES, GENES, version=version, gz=gz)
    expected = {"matrix.mtx", "barcodes.tsv", "genes.tsv" if version == 2 else "features.tsv"}
    if gz:
        expected = {f"{name}.gz" for name in expected}
    assert {p.name for p in folder.iterdir()} == expected
    adata = sc.read_10x_mtx(folder)
    assert list(adata.obs_names) == BARCODES and list(adata.var_names) == GENES
    assert np.array_equal(adata.X.toarray(), matrix.toarray())


def test_write_mtx_plain_text_when_not_gzipped(tmp_path: Path):
    folder = write_mtx(tmp_path / "raw", _matrix(), BARCODES, GENES, gz=False)
    assert (folder / "matrix.mtx").read_text().startswith("%%MatrixMarket")


@pytest.mark.parametrize("version", [2, 3])
def test_write_h5_reads_back_with_scanpy(tmp_path: Path, version: int):
    matrix = _matrix(seed=1)
    path = write_h5(tmp_path / "m.h5", matrix, BARCODES, GENES, version=version)
    adata = sc.read_10x_h5(path, genome="GRCh38")
    assert list(adata.obs_names) == BARCODES and list(adata.var_names) == GENES
    assert np.array_equal(adata.X.toarray(), matrix.toarray())


@pytest.mark.parametrize("version", [2, 3])
def test_write_h5_genomes_keeps_each_genome_apart(tmp_path: Path, version: int):
    human, mouse = _matrix(genes=4, seed=2), _matrix(genes=3, seed=3)
    genomes = {
        "GRCh38": (human, BARCODES, GENES),
        "mm10": (mouse, BARCODES, ["Cd3e", "Lyz2", "Nkg7"]),
    }
    path = write_h5_genomes(tmp_path / "mixed.h5", genomes, version=version)
    adata = sc.read_10x_h5(path, genome="mm10")
    assert list(adata.var_names) == ["Cd3e", "Lyz2", "Nkg7"]
    assert np.array_equal(adata.X.toarray(), mouse.toarray())


def test_copy_folder_copies_every_file(tmp_path: Path):
    folder = write_mtx(tmp_path / "a", _matrix(), BARCODES, GENES)
    copy = copy_folder(folder, tmp_path / "b")
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in folder.iterdir())
