"""Tiny assets of every type, written into a folder and registered in the current store.

A test of a promoted task builds its inputs with these; each takes the folder to write in
and a name for the files, and returns the registered asset:

```python
def test_reference_length(workspace):
    reference = reference_asset(workspace, "reference")
    run = flyte.run(reference_length, reference=reference)
    assert run.outputs()[0] == 1000
```

The store is whichever `stargazer.store.open_store()` opens: use the `workspace` fixture
(`stargazer.testing.fixtures`) so each test gets its own. `ASSET_BUILDERS` maps each asset
type's name to its builder; `stargazer promote-task` writes tests that call them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stargazer.testing.files import (
    fastq_records,
    genome,
    write_bam,
    write_fasta,
    write_fastq,
    write_h5ad,
    write_vcf,
)
from stargazer.types import Alignment, AnnData, Asset, Reads, Reference, Table, Variants


def reference_asset(folder: Path, name: str = "reference") -> Reference:
    """`genome()` (chr1: 600 bp, chr2: 400 bp) with `.fai` and `.dict`, as a Reference."""
    fasta = write_fasta(folder / f"{name}.fa", genome(), index=True)
    companions: dict[str, str | Path] = {"fai": f"{fasta}.fai", "dict": fasta.with_suffix(".dict")}
    return Reference.create_sync(fasta, companions=companions, build="test")


def reads_asset(
    folder: Path, name: str = "reads", sample_id: str = "s1", paired: bool = False
) -> Reads:
    """20 reads of 50 bp (R1 and R2 files when `paired`), registered as Reads."""
    r1 = write_fastq(folder / f"{name}_R1.fastq.gz", fastq_records(mate="/1" if paired else ""))
    if not paired:
        return Reads.create_sync(r1, sample_id=sample_id, paired=False)
    r2 = write_fastq(folder / f"{name}_R2.fastq.gz", fastq_records(seed=2, mate="/2"))
    return Reads.create_sync(r1, companions={"r2": r2}, sample_id=sample_id, paired=True)


def alignment_asset(folder: Path, name: str = "alignment", sample_id: str = "s1") -> Alignment:
    """A sorted, indexed BAM of 30 reads on chr1/chr2, registered as an Alignment."""
    bam = write_bam(folder / f"{name}.bam", index=True)
    return Alignment.create_sync(
        bam, companions={"bai": f"{bam}.bai"}, sample_id=sample_id, sorted=True
    )


def variants_asset(folder: Path, name: str = "variants", sample_id: str = "s1") -> Variants:
    """Three het SNVs in `sample_id`, bgzipped with a `.tbi`, registered as Variants."""
    vcf = write_vcf(folder / f"{name}.vcf.gz", sample=sample_id)
    return Variants.create_sync(
        vcf, companions={"tbi": f"{vcf}.tbi"}, sample_id=sample_id, caller="test"
    )


def anndata_asset(
    folder: Path, name: str = "anndata", sample_id: str = "s1", stage: str = "raw"
) -> AnnData:
    """12 cells x 8 genes of Poisson counts, registered as an AnnData of `stage`."""
    h5ad = write_h5ad(folder / f"{name}.h5ad")
    return AnnData.create_sync(h5ad, sample_id=sample_id, stage=stage)


def table_asset(folder: Path, name: str = "table", sample_id: str = "s1") -> Table:
    """A two-row TSV (`gene`, `count`), registered as a Table named `name`."""
    tsv = folder / f"{name}.tsv"
    tsv.write_text("gene\tcount\nA\t1\nB\t2\n", encoding="utf-8")
    return Table.create_sync(tsv, name=name, sample_id=sample_id, format="tsv")


#: Asset type name -> the builder of a tiny one; what generated tests call.
ASSET_BUILDERS: dict[str, Callable[[Path, str], Asset]] = {
    "Alignment": alignment_asset,
    "AnnData": anndata_asset,
    "Reads": reads_asset,
    "Reference": reference_asset,
    "Table": table_asset,
    "Variants": variants_asset,
}
