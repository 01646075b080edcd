"""What every single-cell task shares: reading an AnnData asset, storing the next stage.

Each task loads its input `.h5ad` into memory, runs one scanpy step on the in-memory object
(the `*_core`-style functions in each module, usable without Flyte) and stores the result as a
new `AnnData` asset whose `stage` names the step and whose `params` hold every parameter the
step ran with. The same parameters are kept inside the file, in `uns["stargazer"][stage]`, so
the h5ad explains itself when it leaves the store.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import anndata as ad

    from stargazer.types import AnnData

#: Libraries whose numba functions scanpy calls without on-disk caching (UMAP's fuzzy
#: simplicial set and layout optimiser, pynndescent's graph building).
_NUMBA_MODULES = (
    "umap.umap_",
    "umap.layouts",
    "umap.utils",
    "umap.spectral",
    "umap.sparse",
    "umap.distances",
)
_numba_cached = False


def tool_version() -> str:
    """The scanpy version that runs the steps."""
    return version("scanpy")


def enable_numba_cache() -> int:
    """Turn on numba's on-disk cache for UMAP's compiled functions; returns how many.

    umap-learn compiles ~15 s of numba code on first use in every process (`neighbors` builds
    its graph with UMAP's `fuzzy_simplicial_set`, `umap` runs the layout optimiser) and most of
    those functions are declared without `cache=True`. Switching caching on for them makes a
    fresh process load the machine code from disk (numba's `__pycache__` next to the package,
    or `NUMBA_CACHE_DIR`). Safe to call many times.
    """
    global _numba_cached
    if _numba_cached:
        return 0
    from numba.core.registry import CPUDispatcher

    enabled = 0
    for name in _NUMBA_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, CPUDispatcher)
                and value.py_func.__module__ == name
                and type(value._cache).__name__ == "NullCache"
            ):
                value.enable_caching()
                enabled += 1
    _numba_cached = True
    return enabled


def record(adata: ad.AnnData, stage: str, params: Mapping[str, Any]) -> dict[str, str]:
    """Keep a step's parameters in `uns["stargazer"][stage]` and return them as strings."""
    text = {key: _as_text(value) for key, value in params.items()}
    adata.uns.setdefault("stargazer", {})[stage] = dict(text)
    return text


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


async def load(data: AnnData) -> ad.AnnData:
    """The asset's h5ad, read into memory."""
    import anndata

    return anndata.read_h5ad(await data.fetch())


async def store(
    adata: ad.AnnData,
    *,
    stage: str,
    params: Mapping[str, Any],
    parents: list[AnnData],
    sample_id: str,
) -> AnnData:
    """Write `adata` as the asset of `stage`, with its parameters and lineage.

    The parameters go into the asset's `params` (as strings) and into the file's
    `uns["stargazer"][stage]`. Nothing is registered if writing fails.
    """
    from stargazer.store import open_store
    from stargazer.types import AnnData

    settings = record(adata, stage, params)
    # Written inside the store's scratch folder, so ingesting is a hardlink, not a copy.
    with open_store().local.workdir() as folder:
        path = folder / f"{sample_id or 'cells'}.{stage}.h5ad"
        adata.write_h5ad(path)
        return await AnnData.create(
            path,
            parents=parents,
            tool="scanpy",
            tool_version=tool_version(),
            params=settings,
            sample_id=sample_id,
            stage=stage,
            n_obs=int(adata.n_obs),
            n_vars=int(adata.n_vars),
        )


__all__ = ["enable_numba_cache", "load", "record", "store", "tool_version"]
