"""Read count matrices as Cell Ranger and friends write them.

- a Matrix Market folder: `matrix.mtx` + `barcodes.tsv` + `genes.tsv` (Cell Ranger 2) or
  `features.tsv` (Cell Ranger 3+), each gzipped or not (`filtered_feature_bc_matrix/`),
- a 10x HDF5 file (`filtered_feature_bc_matrix.h5`, either layout; a Cell Ranger 2 file made
  against several genomes holds one matrix per genome: pass `genome=`, `h5_genomes` lists them),
- an AnnData `.h5ad` (counts in `X`, or in a layer you name).

Genes are named by symbol (the Ensembl ids go to `var["gene_ids"]`); for Cell Ranger 3+ only
"Gene Expression" features are kept. Shape mismatches between the matrix and its barcode or
feature list are refused with the counts on each side.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import anndata as ad

_MATRIX = ("matrix.mtx", "matrix.mtx.gz")
_BARCODES = ("barcodes.tsv", "barcodes.tsv.gz")
_FEATURES = ("features.tsv", "features.tsv.gz", "genes.tsv", "genes.tsv.gz")


def read_counts(path: str | Path, layer: str = "", genome: str = "") -> ad.AnnData:
    """Read a 10x folder, a 10x `.h5` or an `.h5ad` into memory.

    Args:
        path: The folder holding `matrix.mtx[.gz]`, or the `.h5` / `.h5ad` file.
        layer: For an `.h5ad`, the layer holding raw counts ("" means `X`).
        genome: For a 10x `.h5` made against several genomes, the one to read ("" when the
            file holds one; `h5_genomes` lists them).

    Returns:
        Cells x genes, with the matrix as float32 CSR.

    Raises:
        FileNotFoundError: Nothing at `path`, or a folder without a 10x matrix.
        ValueError: The files disagree with each other or cannot be parsed, or `genome` is
            missing, unknown or given for a file that is not a 10x `.h5`.
    """
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file or folder")
    suffix = source.name.lower()
    is_h5 = source.is_file() and suffix.endswith((".h5", ".hdf5"))
    if genome and not is_h5:
        raise ValueError(
            f"{source}: genome={genome!r} applies to 10x .h5 files only; leave genome empty "
            "for a 10x folder or an .h5ad"
        )
    if source.is_dir():
        return read_10x_mtx(source)
    if suffix.endswith(".h5ad"):
        return read_h5ad_counts(source, layer)
    if is_h5:
        return read_10x_h5(source, genome=genome)
    if suffix.endswith((".mtx", ".mtx.gz")):
        return read_10x_mtx(source.parent)
    raise ValueError(
        f"{source}: not a 10x folder, .h5 or .h5ad; pass the folder holding matrix.mtx.gz, "
        "barcodes.tsv.gz and features.tsv.gz, a 10x .h5 or an AnnData .h5ad"
    )


def _find(folder: Path, names: tuple[str, ...], what: str) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"{folder}: no {what} file (looked for {', '.join(names)}); a 10x folder holds "
        "matrix.mtx, barcodes.tsv and features.tsv (or genes.tsv), each optionally gzipped"
    )


def _open(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_table(path: Path) -> pd.DataFrame:
    with _open(path) as handle:
        try:
            return pd.read_csv(handle, sep="\t", header=None, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
        except (pd.errors.ParserError, UnicodeDecodeError, OSError) as err:
            raise ValueError(f"{path}: not a tab-separated table ({err})") from err


def read_10x_mtx(folder: str | Path) -> ad.AnnData:
    """Read a Cell Ranger Matrix Market folder (v2 `genes.tsv` or v3 `features.tsv`).

    Raises:
        FileNotFoundError: A file of the three is missing.
        ValueError: The matrix does not match the barcodes or features, or cannot be parsed.
    """
    import anndata
    import scipy.io
    import scipy.sparse as sp

    folder = Path(folder)
    matrix_path = _find(folder, _MATRIX, "matrix.mtx")
    barcodes_path = _find(folder, _BARCODES, "barcodes.tsv")
    features_path = _find(folder, _FEATURES, "features.tsv / genes.tsv")
    with _open(matrix_path) as handle:
        try:
            matrix = scipy.io.mmread(handle)
        except (ValueError, OSError, EOFError) as err:
            raise ValueError(f"{matrix_path}: not a Matrix Market file ({err})") from err
    matrix = sp.csr_matrix(matrix.T, dtype=np.float32)
    barcodes = _read_table(barcodes_path)
    features = _read_table(features_path)
    n_cells, n_genes = matrix.shape
    if len(barcodes) != n_cells or len(features) != n_genes:
        swapped = len(barcodes) == n_genes and len(features) == n_cells
        hint = (
            " (the matrix looks transposed: 10x writes genes as rows, cells as columns)"
            if swapped
            else "; the three files must come from the same Cell Ranger output folder"
        )
        raise ValueError(
            f"{matrix_path}: the matrix has {n_genes} feature rows and {n_cells} barcode "
            f"columns, but {features_path.name} lists {len(features)} features and "
            f"{barcodes_path.name} lists {len(barcodes)} barcodes{hint}"
        )
    if features.shape[1] < 2:
        raise ValueError(
            f"{features_path}: expected gene id and gene name columns, found "
            f"{features.shape[1]} column(s)"
        )
    var = pd.DataFrame({"gene_ids": features[0].to_numpy()}, index=features[1].to_numpy())
    if features.shape[1] >= 3:
        var["feature_types"] = features[2].to_numpy()
    adata = anndata.AnnData(X=matrix, obs=pd.DataFrame(index=barcodes[0].to_numpy()), var=var)
    return _gene_expression_only(adata)


def _v2_genomes(handle: Any) -> list[str]:
    """Cell Ranger 2 writes one top-level group per genome, each with its own matrix."""
    return sorted(
        name
        for name, item in handle.items()
        if hasattr(item, "keys") and "genes" in item and "data" in item
    )


def _open_h5(path: Path) -> Any:
    """The HDF5 file at `path`, open for reading (an `h5py.File`).

    Raises:
        ValueError: Not an HDF5 file.
    """
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path}: not an HDF5 file ({err})") from err


def h5_genomes(path: str | Path) -> list[str]:
    """The genomes a 10x `.h5` holds (sorted; `[]` when it records none).

    Cell Ranger 2 files have one group per genome; Cell Ranger 3+ files name each feature's
    genome in `matrix/features/genome`.

    Raises:
        ValueError: Not an HDF5 file.
    """
    path = Path(path)
    with _open_h5(path) as handle:
        if "matrix" in handle:
            features = handle["matrix"].get("features")
            if features is None or "genome" not in features:
                return []
            return sorted(set(_text(features["genome"][:])) - {""})
        return _v2_genomes(handle)


def _genome_hint(genomes: list[str]) -> str:
    return ", ".join(repr(g) for g in genomes)


class _Matrix(NamedTuple):
    """The parts of a 10x matrix group."""

    group: Any  # the h5py group holding data/indices/indptr/shape/barcodes
    names: Any  # feature names
    ids: Any  # feature ids
    types: Any  # feature types (v3), or None
    genomes: Any  # each feature's genome (v3, when recorded), or None


def _v3_matrix(handle: Any, path: Path, genome: str) -> _Matrix:
    """The `matrix` group of a Cell Ranger 3+ file; refuses a `genome` it does not hold."""
    group = handle["matrix"]
    features = group["features"]
    types = features["feature_type"][:] if "feature_type" in features else None
    genomes = _text(features["genome"][:]) if "genome" in features else None
    if genome and (genomes is None or genome not in set(genomes)):
        found = sorted(set(genomes)) if genomes is not None else []
        raise ValueError(
            f"{path}: no genome {genome!r} in this file (genomes: "
            f"{_genome_hint(found) or 'none recorded'}); pass one of them, or "
            "genome='' to read every feature"
        )
    return _Matrix(group, features["name"][:], features["id"][:], types, genomes)


def _v2_matrix(handle: Any, path: Path, genome: str) -> _Matrix:
    """The genome group of a Cell Ranger 2 file: `genome`, or the only one."""
    genomes = _v2_genomes(handle)
    if not genomes:
        raise ValueError(
            f"{path}: not a 10x HDF5 matrix (no 'matrix' group and no genome group "
            f"with 'genes'; found {sorted(handle.keys())}); an AnnData file should "
            "end in .h5ad"
        )
    if genome and genome not in genomes:
        raise ValueError(
            f"{path}: no genome {genome!r} in this Cell Ranger 2 file; it holds "
            f"{_genome_hint(genomes)}: pass genome= one of them"
        )
    if not genome and len(genomes) > 1:
        raise ValueError(
            f"{path}: this Cell Ranger 2 file holds {len(genomes)} genomes "
            f"({_genome_hint(genomes)}), one matrix each: pass genome= one of them "
            f"(e.g. genome={genomes[0]!r})"
        )
    group = handle[genome or genomes[0]]
    return _Matrix(group, group["gene_names"][:], group["genes"][:], None, None)


def read_10x_h5(path: str | Path, genome: str = "") -> ad.AnnData:
    """Read a Cell Ranger HDF5 matrix (v2 per-genome groups or v3 `matrix` group).

    Args:
        path: The `.h5` file.
        genome: The genome to read from a file made against several (Cell Ranger 2 keeps
            one matrix per genome, so a multi-genome file needs it; for Cell Ranger 3+ it
            keeps that genome's features). "" reads the only one, or every feature (v3).

    Raises:
        ValueError: The file is not a 10x matrix or its parts disagree, or `genome` is
            missing (several genomes) or not in the file; the message lists the genomes.
    """
    import anndata
    import scipy.sparse as sp

    path = Path(path)
    with _open_h5(path) as handle:
        found = (_v3_matrix if "matrix" in handle else _v2_matrix)(handle, path, genome)
        group = found.group
        try:
            n_genes, n_cells = (int(x) for x in group["shape"][:])
            matrix = sp.csc_matrix(
                (group["data"][:], group["indices"][:], group["indptr"][:]),
                shape=(n_genes, n_cells),
            )
        except (KeyError, ValueError) as err:
            raise ValueError(
                f"{path}: the sparse matrix in {group.name} is broken ({err})"
            ) from err
        barcodes = group["barcodes"][:]
    if len(barcodes) != n_cells or len(found.names) != n_genes:
        raise ValueError(
            f"{path}: the matrix shape is {n_genes} features x {n_cells} barcodes, but the file "
            f"lists {len(found.names)} features and {len(barcodes)} barcodes"
        )
    var = pd.DataFrame({"gene_ids": _text(found.ids)}, index=_text(found.names))
    if found.types is not None:
        var["feature_types"] = _text(found.types)
    adata = anndata.AnnData(
        X=sp.csr_matrix(matrix.T, dtype=np.float32),
        obs=pd.DataFrame(index=_text(barcodes)),
        var=var,
    )
    if genome and found.genomes is not None and len(found.genomes) == n_genes:
        adata = adata[:, found.genomes == genome].copy()
    return _gene_expression_only(adata)


def read_h5ad_counts(path: str | Path, layer: str = "") -> ad.AnnData:
    """Read an `.h5ad`, taking the counts from `layer` when one is named.

    Raises:
        ValueError: The file cannot be opened, or the layer is missing.
    """
    import anndata
    import scipy.sparse as sp

    path = Path(path)
    try:
        adata = anndata.read_h5ad(path)
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: anndata cannot read it ({type(err).__name__}: {err})") from err
    if layer:
        if layer not in adata.layers:
            present = ", ".join(adata.layers.keys()) or "none"
            raise ValueError(f"{path}: no layer {layer!r} (layers: {present})")
        adata.X = adata.layers[layer]
    adata.layers.clear()
    adata.raw = None
    if sp.issparse(adata.X):
        adata.X = sp.csr_matrix(adata.X, dtype=np.float32)
    elif adata.X is not None:
        adata.X = np.asarray(adata.X, dtype=np.float32)
    return adata


def _text(values: np.ndarray) -> np.ndarray:
    return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values], dtype=object)


def _gene_expression_only(adata: ad.AnnData) -> ad.AnnData:
    if "feature_types" not in adata.var:
        return adata
    keep = (adata.var["feature_types"] == "Gene Expression").to_numpy()
    if keep.all() or not keep.any():
        return adata
    return adata[:, keep].copy()


__all__ = ["h5_genomes", "read_10x_h5", "read_10x_mtx", "read_counts", "read_h5ad_counts"]
