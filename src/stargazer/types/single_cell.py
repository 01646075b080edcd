"""Single-cell data: an AnnData object in an .h5ad file."""

from __future__ import annotations

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
        n_obs, n_vars = _shape(h5ad)
        for key, found in (("n_obs", n_obs), ("n_vars", n_vars)):
            if metadata[key] and metadata[key] != found:
                raise InvalidAssetError(
                    f"{h5ad}: {key}={metadata[key]} was given but the file has {found}; "
                    f"leave {key} out to read it from the file"
                )
        return files, {**metadata, "n_obs": n_obs, "n_vars": n_vars}


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
