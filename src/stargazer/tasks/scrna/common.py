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
import threading
import warnings
from collections import OrderedDict
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

#: How many just-stored AnnData objects this process keeps for the next step (see `store`).
HANDOFF_SLOTS = 2

_handoff: OrderedDict[str, ad.AnnData] = OrderedDict()
_handoff_lock = threading.Lock()


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

    # a marker on the function object (read by `enable_numba_cache`); functions have no
    # declared attributes for mypy to check it against
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


def _in_file_order(mapping: Any) -> None:
    """Reorder a mapping (recursively for plain dicts) by key, as h5py lists a group's members."""
    for key in sorted(mapping.keys()):
        value = mapping.pop(key)
        if isinstance(value, dict):
            _in_file_order(value)
        mapping[key] = value


def _keep(digest: str, adata: ad.AnnData) -> None:
    # Reading the file back yields uns, layers, obsm, ... in key order, and writing follows the
    # mapping's order, so the kept object is put in that order: the next step then writes
    # byte-identical files whether it got this object or read the file (same asset ids).
    for mapping in (adata.uns, adata.layers, adata.obsm, adata.varm, adata.obsp, adata.varp):
        _in_file_order(mapping)
    with _handoff_lock:
        _handoff[digest] = adata
        while len(_handoff) > HANDOFF_SLOTS:
            _handoff.popitem(last=False)


def _take(digest: str) -> ad.AnnData | None:
    with _handoff_lock:
        return _handoff.pop(digest, None)


def forget_handoffs() -> None:
    """Drop the AnnData objects kept for the next step (they are re-read from the store)."""
    with _handoff_lock:
        _handoff.clear()


async def load(data: AnnData) -> ad.AnnData:
    """The asset's h5ad, read into memory (and numba's disk cache switched on, see above).

    When this process has just stored the asset (the previous step ran here), the object it
    wrote is handed over instead of re-reading the file: it is keyed by the file's content
    digest, so it is the same content the asset names, and it is given out once (whoever takes
    it may change it), after which reading falls back to the file.
    """
    import anndata

    enable_numba_cache()

    kept = _take(data.files.get("primary", ""))
    if kept is not None:
        await data.fetch()  # the file is still materialised, as for a re-read
        return kept
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
    from stargazer.types.single_cell import written_by_anndata

    settings = record(adata, stage, params)
    # Written inside the store's scratch folder, so ingesting is a hardlink, not a copy.
    with open_store().local.workdir() as folder:
        path = folder / f"{sample_id or 'cells'}.{stage}.h5ad"
        adata.write_h5ad(path)
        # anndata wrote it just now: the store checks its layout with h5py, not a full open
        with written_by_anndata(path):
            asset = await AnnData.create(
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
    # write_h5ad turned string columns into categoricals in place, as reading back would
    _keep(asset.files["primary"], adata)
    return asset


__all__ = [
    "HANDOFF_SLOTS",
    "NUMBA_CACHED_PACKAGES",
    "enable_numba_cache",
    "forget_handoffs",
    "load",
    "record",
    "store",
    "tool_version",
]
