"""Compile the single-cell steps' numerical code once, ahead of the first real run.

scanpy, UMAP and pynndescent do their number crunching in numba functions, compiled to
machine code the first time they run (about a minute on a laptop) and then kept on disk:
scanpy's own are cached by scanpy, UMAP's and pynndescent's by `enable_numba_cache`. A fresh
install therefore makes its first scRNA run pay that minute. `make install` runs

```
python -m stargazer.tasks.scrna.warm_up
```

which runs every step's in-memory function (`filter_cells` ... `rank_markers`) on a small
simulated data set, so the compiled code is on disk before anyone opens a notebook.
`numba_code_compiled` tells a notebook whether that has happened (to say why a first run is
slow when it has not).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

#: (package, file stem, function) of numba functions the pipeline compiles; each is looked
#: for in numba's on-disk cache by `numba_code_compiled`.
MARKERS = (
    ("umap", "layouts", "_optimize_layout_euclidean_single_epoch"),
    ("umap", "umap_", "smooth_knn_dist"),
    ("scanpy", "_normalization", "_normalize_csr"),
)


def _cache_folders(package: str, stem: str) -> list[Path]:
    """Where numba would keep the cache of functions in `package`/.../`stem`.py."""
    import numba

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    # numba.config sets its settings at import time (from NUMBA_* variables), unseen by mypy
    cache_dir: str = numba.config.CACHE_DIR  # type: ignore[attr-defined]
    if cache_dir:  # NUMBA_CACHE_DIR: one folder per source folder beneath it
        return [Path(cache_dir)]
    in_tree = [source.parent / "__pycache__" for source in root.rglob(f"{stem}.py")]
    from numba.misc.appdirs import AppDirs

    # numba's vendored appdirs has no annotations
    dirs = AppDirs(appname="numba", appauthor=False)  # type: ignore[no-untyped-call]
    return [*in_tree, Path(dirs.user_cache_dir)]


def numba_code_compiled() -> bool:
    """True if numba's disk cache already holds the pipeline's compiled code (see `MARKERS`)."""
    for package, stem, function in MARKERS:
        pattern = f"{stem}.{function}-*.nbi"
        found = False
        for folder in _cache_folders(package, stem):
            if folder.is_dir() and next(folder.rglob(pattern), None) is not None:
                found = True
                break
        if not found:
            return False
    return True


def warm_up(cells: int = 600, genes: int = 400) -> float:
    """Run every step once on simulated counts, compiling (and caching) its numba code.

    Args:
        cells: Simulated cells (enough for scrublet and a few clusters).
        genes: Simulated genes.

    Returns:
        Seconds taken.
    """
    import numpy as np
    import scipy.sparse as sp

    from stargazer.demo.scrna import simulate_counts
    from stargazer.tasks.scrna.cluster import leiden
    from stargazer.tasks.scrna.common import enable_numba_cache
    from stargazer.tasks.scrna.find_markers import rank_markers
    from stargazer.tasks.scrna.normalize import normalize_counts
    from stargazer.tasks.scrna.qc_filter import filter_cells
    from stargazer.tasks.scrna.reduce_dimensions import embed
    from stargazer.tasks.scrna.select_features import highly_variable

    start = time.perf_counter()
    enable_numba_cache()  # before umap and pynndescent are imported
    adata = simulate_counts(cells=cells, genes=genes, clusters=3, seed=0)
    adata.X = sp.csr_matrix(adata.X, dtype=np.float32)  # as every reader returns it
    adata = filter_cells(adata, min_genes=0)
    adata = normalize_counts(adata)
    adata = highly_variable(adata, n_top_genes=min(200, adata.n_vars))
    adata = embed(adata, n_comps=20)
    adata = leiden(adata)
    rank_markers(adata, n_genes=10)
    return time.perf_counter() - start


def main() -> int:
    """Warm up, printing one line before and one after; the exit status is 0 unless it fails."""
    if numba_code_compiled():
        return 0
    print("Compiling single-cell numerical code once (about a minute)…", flush=True)
    seconds = warm_up()
    print(f"Compiled in {seconds:.0f} s; scRNA runs now start without compiling.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
