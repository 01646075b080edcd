"""Builders of tiny real files and assets, for Stargazer's tests and for yours.

Test data is generated, not shipped. A test of a promoted task typically needs a scratch
workspace (the `workspace` fixture), a tiny input asset, and a real run through Flyte:

```python
# tests/conftest.py
pytest_plugins = ["stargazer.testing.fixtures"]

# tests/stargazer/tasks/test_my_tool.py
from stargazer.tasks import my_tool
from stargazer.testing import alignment_asset, run

def test_my_tool_counts_reads(workspace):
    bam = alignment_asset(workspace)  # 30 reads on chr1/chr2, sorted + .bai
    assert run(my_tool, alignment=bam) == 30
```

Layers, from raw files up:

- `write_fasta`, `write_fastq`, `write_bam`, `write_vcf`, `write_h5ad` write tiny files that
  pysam and anndata read (`sam_builder`/`variant_builder`, fgpyo's builders, for records you
  control);
- `reference_asset`, `reads_asset`, `alignment_asset`, `variants_asset`, `anndata_asset`,
  `table_asset` register them in the current store (`ASSET_BUILDERS` maps type names to them);
- `stargazer.testing.germline` (a 20 kb genome with known variants) and
  `stargazer.testing.scrna` (a simulated count matrix) are the tiny data sets;
  `stargazer.testing.tenx` writes Cell Ranger outputs (10x folders and HDF5 matrices);
- `run` and `task_runs` run tasks and read back what Flyte did; `store_ids`, `store_state`
  and `nothing_registered` say what the store holds;
- `stargazer.testing.fixtures` is the pytest plugin (`workspace`, `subprocess_env`,
  `s3_server`) and `stargazer.testing.s3` talks to that server; neither is imported here,
  so this package works without pytest or boto3.
"""

from stargazer.testing.assets import (
    ASSET_BUILDERS,
    alignment_asset,
    anndata_asset,
    reads_asset,
    reference_asset,
    table_asset,
    variants_asset,
)
from stargazer.testing.files import (
    CONTIGS,
    VCF_HEADER,
    FastqRecord,
    counts_matrix,
    fastq_records,
    genome,
    sam_builder,
    variant_builder,
    write_bam,
    write_fasta,
    write_fastq,
    write_h5ad,
    write_vcf,
)
from stargazer.testing.runs import run, task_runs
from stargazer.testing.store_contents import nothing_registered, store_ids, store_state
from stargazer.testing.workspace import (
    checkout_root,
    forget_flyte_local_db,
    free_port,
    prepare_workspace,
)

__all__ = [
    "ASSET_BUILDERS",
    "CONTIGS",
    "VCF_HEADER",
    "FastqRecord",
    "alignment_asset",
    "anndata_asset",
    "checkout_root",
    "counts_matrix",
    "fastq_records",
    "forget_flyte_local_db",
    "free_port",
    "genome",
    "nothing_registered",
    "prepare_workspace",
    "reads_asset",
    "reference_asset",
    "run",
    "sam_builder",
    "store_ids",
    "store_state",
    "table_asset",
    "task_runs",
    "variant_builder",
    "variants_asset",
    "write_bam",
    "write_fasta",
    "write_fastq",
    "write_h5ad",
    "write_vcf",
]
