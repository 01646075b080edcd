"""Write Cell Ranger outputs (Matrix Market folders, HDF5 files) for the reader tests."""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import h5py
import numpy as np
import scipy.io
import scipy.sparse as sp


def _write(path: Path, data: bytes, gz: bool) -> Path:
    target = path.with_name(path.name + ".gz") if gz else path
    if gz:
        with gzip.open(target, "wb") as handle:
            handle.write(data)
    else:
        target.write_bytes(data)
    return target


def write_mtx(
    folder: Path,
    matrix: sp.spmatrix,
    barcodes: list[str],
    genes: list[str],
    *,
    version: int = 3,
    gz: bool = True,
    feature_types: list[str] | None = None,
) -> Path:
    """A 10x folder for a cells x genes matrix: v2 (`genes.tsv`) or v3 (`features.tsv`)."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    scipy.io.mmwrite(buffer, sp.coo_matrix(matrix.T), field="integer")
    _write(folder / "matrix.mtx", buffer.getvalue(), gz)
    _write(folder / "barcodes.tsv", "".join(f"{b}\n" for b in barcodes).encode(), gz)
    ids = [f"ENSG{i:011d}" for i in range(len(genes))]
    if version == 2:
        rows = [f"{i}\t{g}\n" for i, g in zip(ids, genes, strict=True)]
        _write(folder / "genes.tsv", "".join(rows).encode(), gz)
    else:
        types = feature_types or ["Gene Expression"] * len(genes)
        rows = [f"{i}\t{g}\t{t}\n" for i, g, t in zip(ids, genes, types, strict=True)]
        _write(folder / "features.tsv", "".join(rows).encode(), gz)
    return folder


def write_h5(
    path: Path, matrix: sp.spmatrix, barcodes: list[str], genes: list[str], *, version: int = 3
) -> Path:
    """A 10x HDF5 matrix: v3 (`matrix` group) or v2 (one group per genome)."""
    csr = sp.csr_matrix(matrix, dtype=np.int32)  # cells x genes CSR == genes x cells CSC
    ids = [f"ENSG{i:011d}".encode() for i in range(len(genes))]
    with h5py.File(path, "w") as handle:
        group = handle.create_group("matrix" if version == 3 else "GRCh38")
        group["data"] = csr.data
        group["indices"] = csr.indices.astype(np.int64)
        group["indptr"] = csr.indptr.astype(np.int64)
        group["shape"] = np.array([len(genes), len(barcodes)], dtype=np.int32)
        group["barcodes"] = np.array([b.encode() for b in barcodes])
        if version == 3:
            features = group.create_group("features")
            features["id"] = np.array(ids)
            features["name"] = np.array([g.encode() for g in genes])
            features["feature_type"] = np.array([b"Gene Expression"] * len(genes))
            features["genome"] = np.array([b"GRCh38"] * len(genes))
        else:
            group["genes"] = np.array(ids)
            group["gene_names"] = np.array([g.encode() for g in genes])
    return path


def copy_folder(source: Path, target: Path) -> Path:
    """A copy of a 10x folder to damage in a test."""
    shutil.copytree(source, target)
    return target


def write_h5_genomes(
    path: Path,
    genomes: dict[str, tuple[sp.spmatrix, list[str], list[str]]],
    *,
    version: int = 2,
) -> Path:
    """A multi-genome 10x HDF5 matrix, as Cell Ranger writes for a mixed-species sample.

    Cell Ranger 2 keeps one group per genome, each with its own matrix; Cell Ranger 3+ keeps
    one `matrix` whose features name their genome (the barcodes are then shared: the first
    genome's are used, and every matrix must have that many cells).
    """
    with h5py.File(path, "w") as handle:
        if version == 2:
            for genome, (matrix, barcodes, genes) in genomes.items():
                csr = sp.csr_matrix(matrix, dtype=np.int32)
                group = handle.create_group(genome)
                group["data"] = csr.data
                group["indices"] = csr.indices.astype(np.int64)
                group["indptr"] = csr.indptr.astype(np.int64)
                group["shape"] = np.array([len(genes), len(barcodes)], dtype=np.int32)
                group["barcodes"] = np.array([b.encode() for b in barcodes])
                group["genes"] = np.array([f"{genome}-{i}".encode() for i in range(len(genes))])
                group["gene_names"] = np.array([g.encode() for g in genes])
            return path
        matrices = [sp.csr_matrix(m, dtype=np.int32) for m, _, _ in genomes.values()]
        csr = sp.csr_matrix(sp.hstack(matrices), dtype=np.int32)
        barcodes = next(iter(genomes.values()))[1]
        names = [g for _, _, genes in genomes.values() for g in genes]
        owners = [name for name, (_, _, genes) in genomes.items() for _ in genes]
        group = handle.create_group("matrix")
        group["data"] = csr.data
        group["indices"] = csr.indices.astype(np.int64)
        group["indptr"] = csr.indptr.astype(np.int64)
        group["shape"] = np.array([len(names), len(barcodes)], dtype=np.int32)
        group["barcodes"] = np.array([b.encode() for b in barcodes])
        features = group.create_group("features")
        features["id"] = np.array([f"{o}-{i}".encode() for i, o in enumerate(owners)])
        features["name"] = np.array([g.encode() for g in names])
        features["feature_type"] = np.array([b"Gene Expression"] * len(names))
        features["genome"] = np.array([o.encode() for o in owners])
    return path
