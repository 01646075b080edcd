"""Stargazer tasks: one module per tool, each a Flyte task in `gatk_env` or `scrna_env`.

Import tasks from here (`from stargazer.tasks import align`); the modules below are the
implementation. Keep `__all__` sorted.
"""

from stargazer.tasks.general.bwa import align
from stargazer.tasks.general.reference import prepare_reference
from stargazer.tasks.general.samtools import alignment_qc, mark_duplicates
from stargazer.tasks.variants.accuracy import variant_accuracy
from stargazer.tasks.variants.bcftools import call_variants

__all__ = [
    "align",
    "alignment_qc",
    "call_variants",
    "mark_duplicates",
    "prepare_reference",
    "variant_accuracy",
]
