"""A `reduced` demo AnnData built in memory (the steps before cluster), cached per process."""

from __future__ import annotations

import functools

from stargazer.tasks.scrna.normalize import normalize_counts
from stargazer.tasks.scrna.qc_filter import filter_cells
from stargazer.tasks.scrna.reduce_dimensions import embed
from stargazer.tasks.scrna.select_features import highly_variable
from stargazer.testing.scrna import counts


@functools.cache
def _reduced():
    adata = filter_cells(counts(), min_genes=100)
    return embed(highly_variable(normalize_counts(adata), n_top_genes=400), n_comps=20)


def reduced():
    """A fresh copy of the reduced demo data (500 cells, 4 planted types)."""
    return _reduced().copy()
