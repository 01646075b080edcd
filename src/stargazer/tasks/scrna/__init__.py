"""Single-cell RNA tasks (`scrna_env`): one module per step, each taking and returning assets.

raw counts -> `import_counts` -> `qc_filter` -> `normalize` -> (`merge_samples`) ->
`select_features` -> `reduce_dimensions` -> `cluster` -> `find_markers`

Each module also holds the step's in-memory function (`filter_cells`, `normalize_counts`, ...)
for use on an `anndata.AnnData` without Flyte or the store.
"""

from stargazer.tasks.scrna.cluster import cluster
from stargazer.tasks.scrna.find_markers import find_markers
from stargazer.tasks.scrna.import_counts import import_counts
from stargazer.tasks.scrna.merge_samples import merge_samples
from stargazer.tasks.scrna.normalize import normalize
from stargazer.tasks.scrna.qc_filter import qc_filter
from stargazer.tasks.scrna.reduce_dimensions import reduce_dimensions
from stargazer.tasks.scrna.select_features import select_features

__all__ = [
    "cluster",
    "find_markers",
    "import_counts",
    "merge_samples",
    "normalize",
    "qc_filter",
    "reduce_dimensions",
    "select_features",
]
