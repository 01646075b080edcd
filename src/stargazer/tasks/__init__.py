"""Stargazer tasks: one module per tool, each a Flyte task in `gatk_env` or `scrna_env`.

Import tasks from here (`from stargazer.tasks import align`); the modules below are the
implementation. Keep `__all__` sorted.
"""

from stargazer.tasks.general.alignment_qc import alignment_qc
from stargazer.tasks.general.bwa import align, split_reads
from stargazer.tasks.general.markdup_shards import gather_alignment, mark_duplicates_region
from stargazer.tasks.general.reference import prepare_reference
from stargazer.tasks.general.samtools import mark_duplicates, merge_alignments
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
from stargazer.tasks.variants.bcftools import call_region, call_variants, join_calls

__all__ = [
    "align",
    "alignment_qc",
    "call_region",
    "call_variants",
    "cluster",
    "find_markers",
    "gather_alignment",
    "import_counts",
    "join_calls",
    "mark_duplicates",
    "mark_duplicates_region",
    "merge_alignments",
    "merge_samples",
    "normalize",
    "prepare_reference",
    "qc_filter",
    "reduce_dimensions",
    "select_features",
    "split_reads",
    "variant_accuracy",
]
