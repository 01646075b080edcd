"""Checks a count matrix must pass before it becomes a `raw` asset.

Raw counts are whole, non-negative numbers. A matrix of normalised or log-transformed floats
fed to a pipeline that expects counts gives plausible-looking but wrong clusters (scrublet,
seurat_v3 feature selection and total-count normalisation all assume counts), so it is refused
here with the first offending value and where it sits. Duplicate gene or barcode names are
made unique (`name-1`, `name-2`, ...) with a warning, as 10x references do contain repeated
symbols.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import anndata as ad


def _values(adata: ad.AnnData) -> np.ndarray:
    import scipy.sparse as sp

    return adata.X.data if sp.issparse(adata.X) else np.asarray(adata.X).ravel()


def _locate(adata: ad.AnnData, flat_position: int) -> str:
    """'cell X, gene Y' for the n-th stored value of X."""
    import scipy.sparse as sp

    matrix = adata.X
    if sp.issparse(matrix):
        csr = sp.csr_matrix(matrix)
        row = int(np.searchsorted(csr.indptr, flat_position, side="right") - 1)
        column = int(csr.indices[flat_position])
    else:
        row, column = divmod(flat_position, adata.n_vars)
    return f"cell {adata.obs_names[row]!r}, gene {adata.var_names[column]!r}"


def _check_values(adata: ad.AnnData, source: str) -> None:
    """Refuse an empty matrix and negative, non-finite or non-integer values."""
    if adata.X is None or adata.n_obs == 0 or adata.n_vars == 0:
        raise ValueError(
            f"{source}: the matrix is empty ({adata.n_obs} cells x {adata.n_vars} genes); "
            "export the filtered feature-barcode matrix of a run that found cells"
        )
    values = _values(adata)
    if values.size == 0 or not np.any(values):
        raise ValueError(
            f"{source}: the matrix is empty ({adata.n_obs} cells x {adata.n_vars} genes, "
            "every count is zero); check that this is the right file"
        )
    finite = np.isfinite(values)
    if not finite.all():
        at = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{source}: the matrix holds NaN or infinite values (first at {_locate(adata, at)}); "
            "raw counts are whole numbers >= 0"
        )
    if values.min() < 0:
        at = int(np.argmin(values))
        raise ValueError(
            f"{source}: the matrix holds negative values ({values[at]:g} at "
            f"{_locate(adata, at)}); raw counts are >= 0 — this looks scaled or "
            "batch-corrected data, import the counts it was made from"
        )
    fractional = values != np.round(values)
    if fractional.any():
        at = int(np.flatnonzero(fractional)[0])
        raise ValueError(
            f"{source}: the matrix holds non-integer values ({values[at]:g} at "
            f"{_locate(adata, at)}; {int(fractional.sum())} of {values.size} stored values): "
            "it looks normalised or log-transformed, but the raw stage needs raw UMI counts. "
            "Import the Cell Ranger output, or for an .h5ad name the layer holding counts "
            "(layer='counts')"
        )


def check_counts(adata: ad.AnnData, source: str) -> ad.AnnData:
    """Refuse anything that is not a raw count matrix; make names unique (with a warning).

    Args:
        adata: The matrix as read (cells x genes).
        source: The file or folder it came from, for messages.

    Returns:
        The same object, with unique names.

    Raises:
        ValueError: An empty matrix, negative, non-finite or non-integer values.
    """
    _check_values(adata, source)
    for axis, names in (("gene", adata.var_names), ("barcode", adata.obs_names)):
        if not names.is_unique:
            repeated = names[names.duplicated()].unique()
            shown = ", ".join(map(str, repeated[:5])) + (" ..." if len(repeated) > 5 else "")
            warnings.warn(
                f"{source}: {len(repeated)} {axis} name(s) occur more than once ({shown}); "
                f"made unique by appending -1, -2, ...",
                UserWarning,
                stacklevel=2,
            )
            if axis == "gene":
                adata.var_names_make_unique()
            else:
                adata.obs_names_make_unique()
    return adata


__all__ = ["check_counts"]
