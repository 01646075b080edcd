"""Stargazer tasks: one module per tool, each a Flyte task in `gatk_env` or `scrna_env`.

Import tasks from here (`from stargazer.tasks import align`); the modules below are the
implementation. Keep `__all__` sorted.
"""

from stargazer.tasks.general.bwa import align
from stargazer.tasks.general.reference import prepare_reference
from stargazer.tasks.general.samtools import alignment_qc, mark_duplicates
from stargazer.tasks.scrna import (
    cluster,
    find_markers,
    import_counts,
    merge_samples,
    normalize,
    qc_filter,
    reduce_dimensions,
    select_features,
)
from stargazer.tasks.variants.accuracy import variant_accuracy
from stargazer.tasks.variants.bcftools import call_variants

__all__ = [
    "align",
    "alignment_qc",
    "call_variants",
    "cluster",
    "find_markers",
    "import_counts",
    "mark_duplicates",
    "merge_samples",
    "normalize",
    "prepare_reference",
    "qc_filter",
    "reduce_dimensions",
    "select_features",
    "variant_accuracy",
]
