"""What every single-cell task shares: reading an AnnData asset, storing the next stage.

Each task loads its input `.h5ad` into memory, runs one scanpy step on the in-memory object
(the function each module exports beside its task, usable without Flyte) and stores the result as a
new `AnnData` asset whose `stage` names the step and whose `params` hold every parameter the
step ran with. The same parameters are kept inside the file, in `uns["stargazer"][stage]`, so
the h5ad explains itself when it leaves the store.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import anndata as ad

    from stargazer.types import AnnData

#: Packages whose numba functions are compiled without `cache=True`: importing pynndescent
#: alone compiles ~20 s of distance kernels (eagerly, at import), and UMAP's graph and layout
#: code compiles on first use, in every new process.
NUMBA_CACHED_PACKAGES = ("pynndescent", "umap")


def tool_version() -> str:
    """The scanpy version that runs the steps."""
    return version("scanpy")


def _caching(decorator: Any) -> Any:
    """Wrap `numba.njit`/`numba.jit` so calls from NUMBA_CACHED_PACKAGES default to cache=True."""

    @functools.wraps(decorator)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.split(".")[0] in NUMBA_CACHED_PACKAGES:
            kwargs.setdefault("cache", True)
        return decorator(*args, **kwargs)

    wrapper.__stargazer_caching__ = True  # type: ignore[attr-defined]
    return wrapper


def enable_numba_cache() -> bool:
    """Make pynndescent and UMAP keep their compiled numba code on disk; True if newly enabled.

    scanpy's `neighbors` and `umap` import umap-learn, which imports pynndescent, which compiles
    its distance functions when imported; with UMAP's own kernels that is 15-40 s of numba
    compilation in every fresh process (a notebook restart, a task pod). Those packages do not
    ask numba to cache, so here `numba.njit` and `numba.jit` are wrapped to pass `cache=True`
    for functions defined in them: the first process compiles and writes the machine code
    (numba's `__pycache__` next to the package, or `NUMBA_CACHE_DIR`), later ones load it.
    Only effective before umap/pynndescent are first imported in the process; the steps call it
    on entry. Functions numba cannot cache (closures over dynamic globals) just compile.
    """
    import numba
    from numba.core.errors import NumbaWarning

    if getattr(numba.njit, "__stargazer_caching__", False):
        return False
    numba.njit = _caching(numba.njit)
    numba.jit = _caching(numba.jit)
    warnings.filterwarnings(
        "ignore", message="Cannot cache compiled function", category=NumbaWarning
    )
    return True


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
    """The asset's h5ad, read into memory (and numba's disk cache switched on, see above)."""
    import anndata

    enable_numba_cache()

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


__all__ = ["NUMBA_CACHED_PACKAGES", "enable_numba_cache", "load", "record", "store", "tool_version"]
