"""Single-cell data: an AnnData object in an .h5ad file."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset
from stargazer.types.sniff import require_format


@dataclass
class AnnData(Asset):
    """An .h5ad file; `n_obs` and `n_vars` are read from it (and checked if given).

    Attributes:
        sample_id: The sample (or "" for several).
        stage: Where in the analysis it is, e.g. raw, qc, normalized, clustered.
        n_obs: Number of cells.
        n_vars: Number of genes.
    """

    kind: ClassVar[str] = "anndata"

    sample_id: str = ""
    stage: str = ""
    n_obs: int = 0
    n_vars: int = 0

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        h5ad = files["primary"]
        require_format(h5ad, "hdf5", "an .h5ad (HDF5) file", "anndata")
        own = h5ad.resolve() in _OWN_WRITES.get()
        barcodes = None  # anndata reads the obs index when it opens the file; kept for `raw`
        if own:
            n_obs, n_vars = _stored_shape(h5ad)
        else:
            n_obs, n_vars, barcodes = _shape(h5ad)
        for key, found in (("n_obs", n_obs), ("n_vars", n_vars)):
            if metadata[key] and metadata[key] != found:
                raise InvalidAssetError(
                    f"{h5ad}: {key}={metadata[key]} was given but the file has {found}; "
                    f"leave {key} out to read it from the file"
                )
        if metadata["stage"] == RAW:
            _check_raw(h5ad, n_obs, n_vars, barcodes)
        return files, {**metadata, "n_obs": n_obs, "n_vars": n_vars}


#: The stage whose X must hold raw counts: whole numbers >= 0, one row per distinct barcode.
RAW = "raw"
#: Values of X read and checked at a time (4 MiB of float32).
_BLOCK = 1 << 20
_COUNTS_FIX = (
    "if the counts are in a layer, put them in X (adata.X = adata.layers['counts']) and save "
    "again, or import the file with import_counts(path, layer='counts'); otherwise give the "
    "stage it is at (e.g. stage=normalized)"
)


#: What each kind of bad value found by `_first_bad_value` says about X.
_BAD_VALUES = {
    "nan": "X holds NaN or infinite values ({value:g} at {where}); raw counts are whole "
    "numbers >= 0",
    "negative": "X holds negative values ({value:g} at {where}): it looks scaled or "
    "batch-corrected, and raw counts are >= 0",
    "fraction": "X holds non-integer values ({value:g} at {where}): it looks normalised or "
    "log-transformed, and raw counts are whole numbers",
}


def _check_raw(h5ad: Path, n_obs: int, n_vars: int, barcodes: Any = None) -> None:
    """Refuse a `raw` h5ad that does not hold raw counts, or whose barcodes repeat.

    X is streamed from the file in 4 MiB blocks with h5py into reused buffers (never loaded
    whole), and each block is checked with a few numpy passes while it is in the CPU cache:
    about 0.5 s per GiB of dense float32 on one core. `barcodes` are the obs_names if the
    caller has them already (anndata read them when it opened the file).

    Raises:
        InvalidAssetError: Naming the file, the first offending value and where it sits.
    """
    import h5py
    import numpy as np

    def refuse(problem: str, fix: str) -> InvalidAssetError:
        return InvalidAssetError(f"{h5ad}: stage={RAW} but {problem}; {fix}")

    if n_obs == 0 or n_vars == 0:
        raise refuse(
            f"the matrix is empty ({n_obs} cells x {n_vars} genes)",
            "export the filtered feature-barcode matrix of a run that found cells",
        )
    with h5py.File(h5ad, "r") as handle:
        matrix = handle.get("X")
        if isinstance(matrix, h5py.Dataset):
            values, layout = matrix, "dense"
        elif isinstance(matrix, h5py.Group) and isinstance(matrix.get("data"), h5py.Dataset):
            values = matrix["data"]
            kind = str(matrix.attrs.get("encoding-type", matrix.attrs.get("h5sparse_format", "")))
            layout = "csc" if "csc" in kind else "csr"
        else:
            raise refuse(
                "it has no X matrix of counts (X is missing or not a dense or sparse matrix)",
                "put the counts in X and save the file with anndata",
            )
        found = _first_bad_value(values, np)
        if found is not None:
            position, problem = found
            where = _locate(handle, matrix, layout, position, n_vars)
            value = float(values[np.unravel_index(position, values.shape)])
            raise refuse(_BAD_VALUES[problem].format(value=value, where=where), _COUNTS_FIX)
    barcodes = _obs_names(h5ad) if barcodes is None else barcodes
    if barcodes.has_duplicates:
        repeated = barcodes[barcodes.duplicated()].unique()
        shown = ", ".join(map(str, repeated[:5])) + (" ..." if len(repeated) > 5 else "")
        raise refuse(
            f"{len(repeated)} cell barcode(s) occur more than once in obs_names ({shown})",
            "every cell needs its own barcode: make them unique (adata.obs_names_make_unique(), "
            "or anndata.concat(..., index_unique='-') when joining samples) and save again",
        )


def _first_bad_value(values: Any, np: Any) -> tuple[int, str] | None:
    """(flat position, "nan" | "negative" | "fraction") of the first bad block's bad value.

    Per block: `min` finds negatives; `block - floor(block)` is non-zero exactly where a value
    is fractional, NaN or infinite (inf - inf is NaN), so one `any` covers all three. numpy
    releases the GIL for these passes, so a few threads check blocks side by side (h5py
    serialises the reads, which are the cheap part); blocks are judged in file order.
    """
    import threading

    kind = values.dtype.kind
    if kind in "ub":
        return None  # unsigned integers and booleans are always counts
    if kind not in "if":
        return 0, "fraction"
    row = int(np.prod(values.shape[1:])) if values.ndim > 1 else 1
    rows = max(1, _BLOCK // row)
    starts = range(0, values.shape[0], rows)
    own = threading.local()  # each thread reuses its own two buffers

    def check(start: int) -> tuple[int, str] | None:
        if not hasattr(own, "buffer"):
            own.buffer = np.empty((min(rows, values.shape[0]), *values.shape[1:]), values.dtype)
            own.scratch = np.empty_like(own.buffer) if kind == "f" else None
        count = min(rows, values.shape[0] - start)
        block = own.buffer[:count]
        values.read_direct(block, np.s_[start : start + count], np.s_[0:count])
        if block.min() < 0:
            return start * row + int(np.flatnonzero(block < 0)[0]), "negative"
        if kind == "i":
            return None
        work = own.scratch[:count]
        np.floor(block, out=work)
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, as intended
            np.subtract(block, work, out=work)
        if not work.any():
            return None
        at = int(np.flatnonzero(work)[0])
        return start * row + at, "fraction" if np.isfinite(block.flat[at]) else "nan"

    return _first_found(check, starts)


def _first_found(
    check: Callable[[int], tuple[int, str] | None], starts: range
) -> tuple[int, str] | None:
    """The first result of `check` over `starts` that is not None, in order (a few threads)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(starts), os.cpu_count() or 1, 4)
    if workers <= 1:
        return next((found for found in map(check, starts) if found), None)
    with ThreadPoolExecutor(workers, thread_name_prefix="stargazer-raw-check") as pool:
        for first in range(0, len(starts), 2 * workers):
            for found in pool.map(check, starts[first : first + 2 * workers]):
                if found:
                    return found
    return None


def _locate(handle: Any, matrix: Any, layout: str, position: int, n_vars: int) -> str:
    """'cell X, gene Y' for the n-th stored value of X (dense or sparse)."""
    import numpy as np

    if layout == "dense":
        row, column = divmod(position, n_vars)
    else:
        pointers = matrix["indptr"][:]
        major = int(np.searchsorted(pointers, position, side="right") - 1)
        minor = int(matrix["indices"][position])
        row, column = (major, minor) if layout == "csr" else (minor, major)
    names = []
    for axis, index in (("obs", row), ("var", column)):
        group = handle.get(axis)
        key = group.attrs.get("_index") if group is not None else None
        if key is not None and key in group:
            names.append(
                repr(group[key].asstr()[index])
                if group[key].dtype.kind == "O"
                else repr(str(group[key][index]))
            )
        else:
            names.append(f"#{index}")
    return f"cell {names[0]}, gene {names[1]}"


def _obs_names(h5ad: Path) -> Any:
    """The cell barcodes (obs_names) as a pandas Index, read from the obs index only."""
    import h5py
    import pandas as pd

    with h5py.File(h5ad, "r") as handle:
        group = handle.get("obs")
        key = group.attrs.get("_index") if isinstance(group, h5py.Group) else None
        if key is not None and key in group:
            data = group[key]
            return pd.Index(data.asstr()[:] if data.dtype.kind == "O" else data[:])
    import anndata  # an older layout: let anndata find the index

    data = anndata.read_h5ad(h5ad, backed="r")
    try:
        return data.obs_names.copy()
    finally:
        data.file.close()


#: Files this context just wrote with `anndata.write_h5ad` (see `written_by_anndata`).
_OWN_WRITES: ContextVar[frozenset[Path]] = ContextVar("stargazer_own_h5ad", default=frozenset())


@contextlib.contextmanager
def written_by_anndata(path: Path) -> Iterator[None]:
    """Mark an .h5ad the caller has just written with `anndata.write_h5ad` while registering it.

    Such a file is checked by reading its layout with h5py (the anndata encoding, the lengths of
    the `obs` and `var` indexes and the shape of `X`) instead of opening it with anndata, which
    reads every obs/var column and `uns` (~0.7 s at 20k cells). Files from anywhere else keep
    the full check. The mark lives in the current context only, so other threads and tasks are
    unaffected.
    """
    token = _OWN_WRITES.set(_OWN_WRITES.get() | {Path(path).resolve()})
    try:
        yield
    finally:
        _OWN_WRITES.reset(token)


def _stored_shape(h5ad: Path) -> tuple[int, int]:
    """Shape of an .h5ad anndata wrote, from its HDF5 layout (X's shape must agree)."""
    import h5py

    def refuse(problem: str) -> InvalidAssetError:
        return InvalidAssetError(
            f"{h5ad}: {problem}; the file is corrupt or not written by anndata"
        )

    try:
        with h5py.File(h5ad, "r") as handle:
            if handle.attrs.get("encoding-type") != "anndata":
                raise refuse("the HDF5 root is not marked as an anndata file")
            sizes = []
            for axis in ("obs", "var"):
                group = handle.get(axis)
                index = group.attrs.get("_index") if isinstance(group, h5py.Group) else None
                if index is None or index not in group:
                    raise refuse(f"its {axis} table has no index")
                sizes.append(int(group[index].shape[0]))
            if "X" in handle:
                matrix = handle["X"]
                shape = matrix.attrs.get("shape") if isinstance(matrix, h5py.Group) else None
                found = tuple(int(n) for n in (shape if shape is not None else matrix.shape))
                if found != tuple(sizes):
                    raise refuse(f"X is {found} but obs x var is {tuple(sizes)}")
    except OSError as err:
        raise refuse(f"h5py cannot open it ({err})") from err
    return sizes[0], sizes[1]


def _shape(h5ad: Path) -> tuple[int, int, Any]:
    """Open the file with anndata (backed, so the matrix is not loaded): shape and obs_names."""
    import anndata

    try:
        data = anndata.read_h5ad(h5ad, backed="r")
    except Exception as err:  # anndata and h5py raise many types for a broken file
        raise InvalidAssetError(
            f"{h5ad}: anndata cannot open it ({type(err).__name__}: {err}); the file is "
            "corrupt or not written by anndata"
        ) from err
    try:
        return int(data.n_obs), int(data.n_vars), data.obs_names
    finally:
        data.file.close()
