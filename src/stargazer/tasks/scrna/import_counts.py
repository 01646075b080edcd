"""`import_counts`: a 10x folder, 10x `.h5` or `.h5ad` of raw counts -> a `raw` AnnData asset.

```python
raw = flyte.run(import_counts, path="run1/filtered_feature_bc_matrix", sample_id="s1")
mouse = flyte.run(import_counts, path="barnyard.h5", sample_id="s2", genome="mm10")
```

The matrix is read (`stargazer.tasks.scrna.readers`), checked to be raw counts
(`stargazer.tasks.scrna.validation`) and stored; anything refused registers nothing. The task
reads a path on the machine it runs on, so it is never cached: the same path may hold new
bytes. Its output is content-addressed, so the steps after it are still cache hits when the
bytes did not change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import store
from stargazer.tasks.scrna.readers import read_counts
from stargazer.tasks.scrna.validation import check_counts
from stargazer.types import AnnData

if TYPE_CHECKING:
    import anndata as ad

STAGE = "raw"


def read_raw_counts(path: str, layer: str = "", genome: str = "") -> ad.AnnData:
    """Read and check a raw count matrix (in memory, no store).

    Raises:
        FileNotFoundError: Nothing at `path`.
        ValueError: Not a readable count matrix, not raw counts, or a multi-genome `.h5`
            without a `genome` it holds (the message lists them).
    """
    source = f"{path} (genome {genome})" if genome else str(path)
    return check_counts(read_counts(path, layer=layer, genome=genome), source)


@scrna_env.task(cache="disable")
async def import_counts(
    path: str, sample_id: str = "", layer: str = "", genome: str = ""
) -> AnnData:
    """Import raw counts from a 10x folder, a 10x `.h5` or an `.h5ad` as a `raw` asset.

    Args:
        path: The folder with `matrix.mtx[.gz]`, `barcodes.tsv[.gz]`, `features.tsv[.gz]`
            (or `genes.tsv`), or a `.h5` / `.h5ad` file.
        sample_id: The sample the cells come from.
        layer: For an `.h5ad`, the layer holding raw counts ("" means `X`).
        genome: For a 10x `.h5` made against several genomes (Cell Ranger 2 keeps one
            matrix per genome), the genome to import; "" when the file holds one. A
            multi-genome file without it is refused with the list of its genomes.

    Returns:
        The `raw` AnnData asset.
    """
    adata = read_raw_counts(path, layer, genome)
    params = {"path": path, "layer": layer}
    if genome:  # only when given, so single-genome imports keep their bytes (and asset ids)
        params["genome"] = genome
    return await store(adata, stage=STAGE, params=params, parents=[], sample_id=sample_id)


__all__ = ["import_counts", "read_raw_counts"]
