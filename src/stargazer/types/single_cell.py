"""Single-cell data: an AnnData object in an .h5ad file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset
from stargazer.types.sniff import mismatch, sniff


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
        label = sniff(h5ad)
        if label != "hdf5":
            raise InvalidAssetError(mismatch(h5ad, label, "an .h5ad (HDF5) file", "anndata"))
        own = h5ad.resolve() in _OWN_WRITES.get()
        n_obs, n_vars = _stored_shape(h5ad) if own else _shape(h5ad)
        for key, found in (("n_obs", n_obs), ("n_vars", n_vars)):
            if metadata[key] and metadata[key] != found:
                raise InvalidAssetError(
                    f"{h5ad}: {key}={metadata[key]} was given but the file has {found}; "
                    f"leave {key} out to read it from the file"
                )
        return files, {**metadata, "n_obs": n_obs, "n_vars": n_vars}


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


def _shape(h5ad: Path) -> tuple[int, int]:
    """Open the file with anndata (backed, so the matrix is not loaded) and read its shape."""
    import anndata

    try:
        data = anndata.read_h5ad(h5ad, backed="r")
    except Exception as err:  # anndata and h5py raise many types for a broken file
        raise InvalidAssetError(
            f"{h5ad}: anndata cannot open it ({type(err).__name__}: {err}); the file is "
            "corrupt or not written by anndata"
        ) from err
    try:
        return int(data.n_obs), int(data.n_vars)
    finally:
        data.file.close()
