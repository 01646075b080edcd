"""Cell Ranger outputs (10x Matrix Market folders and HDF5 matrices) for reader tests.

```python
matrix = scipy.sparse.random(50, 30, density=0.2, format="csr") * 10
folder = write_mtx(tmp_path / "filtered", matrix.astype(int), barcodes, genes)  # v3, gzipped
h5 = write_h5(tmp_path / "filtered.h5", matrix.astype(int), barcodes, genes, version=2)
```

Matrices are cells x genes, as AnnData holds them; the files store them genes x cells, as
Cell Ranger writes them. Needs h5py and scipy (both come with anndata).
"""

from __future__ import annotations

import gzip
import io
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any


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
    matrix: Any,
    barcodes: Sequence[str],
    genes: Sequence[str],
    *,
    version: int = 3,
    gz: bool = True,
    feature_types: Sequence[str] | None = None,
) -> Path:
    """A 10x folder for a cells x genes matrix: v2 (`genes.tsv`) or v3 (`features.tsv`)."""
    import scipy.io
    import scipy.sparse as sp

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


def _matrix_group(group: Any, matrix: Any, barcodes: Sequence[str], n_genes: int) -> None:
    """Write a cells x genes matrix into an HDF5 group the way Cell Ranger does."""
    import numpy as np
    import scipy.sparse as sp

    csr = sp.csr_matrix(matrix, dtype=np.int32)  # cells x genes CSR == genes x cells CSC
    group["data"] = csr.data
    group["indices"] = csr.indices.astype(np.int64)
    group["indptr"] = csr.indptr.astype(np.int64)
    group["shape"] = np.array([n_genes, len(barcodes)], dtype=np.int32)
    group["barcodes"] = np.array([b.encode() for b in barcodes])


def _features(group: Any, ids: Sequence[str], names: Sequence[str], genomes: Sequence[str]) -> None:
    """The Cell Ranger 3+ `features` group: id, name, type and genome of each gene."""
    import numpy as np

    features = group.create_group("features")
    features["id"] = np.array([i.encode() for i in ids])
    features["name"] = np.array([g.encode() for g in names])
    features["feature_type"] = np.array([b"Gene Expression"] * len(names))
    features["genome"] = np.array([g.encode() for g in genomes])


def write_h5(
    path: Path, matrix: Any, barcodes: Sequence[str], genes: Sequence[str], *, version: int = 3
) -> Path:
    """A 10x HDF5 matrix: v3 (`matrix` group) or v2 (one group per genome, here GRCh38)."""
    import h5py
    import numpy as np

    ids = [f"ENSG{i:011d}" for i in range(len(genes))]
    with h5py.File(path, "w") as handle:
        group = handle.create_group("matrix" if version == 3 else "GRCh38")
        _matrix_group(group, matrix, barcodes, len(genes))
        if version == 3:
            _features(group, ids, genes, ["GRCh38"] * len(genes))
        else:
            group["genes"] = np.array([i.encode() for i in ids])
            group["gene_names"] = np.array([g.encode() for g in genes])
    return path


def copy_folder(source: Path, target: Path) -> Path:
    """A copy of a 10x folder, to damage in a test."""
    shutil.copytree(source, target)
    return target


def write_h5_genomes(
    path: Path,
    genomes: dict[str, tuple[Any, list[str], list[str]]],
    *,
    version: int = 2,
) -> Path:
    """A multi-genome 10x HDF5 matrix, as Cell Ranger writes for a mixed-species sample.

    `genomes` maps a genome's name to (cells x genes matrix, barcodes, gene names). Cell
    Ranger 2 keeps one group per genome, each with its own matrix; Cell Ranger 3+ keeps one
    `matrix` whose features name their genome (the barcodes are then shared: the first
    genome's are used, and every matrix must have that many cells).
    """
    import h5py
    import numpy as np
    import scipy.sparse as sp

    with h5py.File(path, "w") as handle:
        if version == 2:
            for genome, (matrix, barcodes, genes) in genomes.items():
                group = handle.create_group(genome)
                _matrix_group(group, matrix, barcodes, len(genes))
                group["genes"] = np.array([f"{genome}-{i}".encode() for i in range(len(genes))])
                group["gene_names"] = np.array([g.encode() for g in genes])
            return path
        combined = sp.hstack([sp.csr_matrix(m) for m, _, _ in genomes.values()])
        barcodes = next(iter(genomes.values()))[1]
        names = [g for _, _, genes in genomes.values() for g in genes]
        owners = [name for name, (_, _, genes) in genomes.items() for _ in genes]
        group = handle.create_group("matrix")
        _matrix_group(group, combined, barcodes, len(names))
        _features(group, [f"{o}-{i}" for i, o in enumerate(owners)], names, owners)
    return path
