"""Tiny real genomics files, written with the real libraries (pysam, fgpyo, anndata).

Each builder writes into a folder you give it (a test's `tmp_path` or `workspace`) and
returns the path, so nothing large is ever committed. The same arguments always give the
same bytes, so the same file is the same asset (and the same cache key) on every run:

```python
contigs = genome()                                   # {"chr1": 600 bases, "chr2": 400 bases}
fasta = write_fasta(folder / "ref.fa", contigs, index=True)   # + ref.fa.fai and ref.dict
r1 = write_fastq(folder / "s1_R1.fastq.gz", fastq_records(mate="/1"))
bam = write_bam(folder / "s1.bam", index=True)       # 30 reads on chr1/chr2, sorted + .bai
vcf = write_vcf(folder / "s1.vcf.gz", [("chr1", 10)])  # one het SNV, bgzipped + .tbi
h5ad = write_h5ad(folder / "counts.h5ad")            # 12 cells x 8 genes of counts
```

For records with every field under your control, start from `sam_builder()` or
`variant_builder()` (fgpyo's `SamBuilder` and `VariantBuilder` over the same contigs) and
pass the builder to `write_bam` / `write_vcf`.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pysam
from fgpyo.sam import SamOrder
from fgpyo.sam.builder import SamBuilder
from fgpyo.vcf.builder import VariantBuilder

if TYPE_CHECKING:
    import anndata

#: The contigs (name -> length) every builder uses unless told otherwise.
CONTIGS: dict[str, int] = {"chr1": 600, "chr2": 400}

#: A minimal VCF header for `CONTIGS` and one sample, `s1`, to put hand-written records under.
VCF_HEADER = (
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr1,length=600>\n##contig=<ID=chr2,length=400>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\n"
)

#: (name, bases, qualities) of one FASTQ record.
FastqRecord = tuple[str, str, str]


def genome(seed: int = 7, contigs: Mapping[str, int] = CONTIGS) -> dict[str, str]:
    """Random bases for each contig (name -> length): the same seed, the same genome."""
    rng = random.Random(seed)
    return {name: "".join(rng.choice("ACGT") for _ in range(n)) for name, n in contigs.items()}


def write_fasta(
    path: Path, contigs: Mapping[str, str], width: int = 60, index: bool = False
) -> Path:
    """Write a FASTA of `contigs` (name -> bases), `width` bases a line; returns its path.

    With `index`, also write `PATH.fai` (samtools faidx) and `STEM.dict` (samtools dict, the
    name GATK and Picard look for), both through pysam.
    """
    if not contigs:
        raise ValueError(f"{path}: a FASTA needs at least one contig")
    with open(path, "w", encoding="ascii") as handle:
        for name, bases in contigs.items():
            handle.write(f">{name}\n")
            for start in range(0, len(bases), width):
                handle.write(bases[start : start + width] + "\n")
    if index:
        pysam.faidx(str(path))
        pysam.dict("-o", str(path.with_suffix(".dict")), str(path))
    return path


def fastq_records(
    n: int = 20, length: int = 50, seed: int = 1, mate: str = ""
) -> list[FastqRecord]:
    """`n` random reads of `length` bases, all quality `I`; names end in `mate` (e.g. `/1`)."""
    rng = random.Random(seed)
    return [
        (f"read{i}{mate}", "".join(rng.choice("ACGT") for _ in range(length)), "I" * length)
        for i in range(n)
    ]


def write_fastq(path: Path, records: Sequence[FastqRecord], gz: bool | None = None) -> Path:
    """Write FASTQ records; gzipped when `gz`, by default when the name ends in `.gz`.

    The gzip header carries no timestamp and no file name, so the same reads always give the
    same bytes.
    """
    text = "".join(f"@{name}\n{seq}\n+\n{qual}\n" for name, seq, qual in records)
    if gz if gz is not None else path.name.endswith(".gz"):
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as handle,
        ):
            handle.write(text.encode())
    else:
        path.write_text(text)
    return path


def sam_builder(
    contigs: Mapping[str, int] = CONTIGS, read_length: int = 40, sort: bool = True
) -> SamBuilder:
    """An fgpyo `SamBuilder` over `contigs`, coordinate-sorted unless `sort` is False."""
    return SamBuilder(
        r1_len=read_length,
        r2_len=read_length,
        sd=[{"SN": name, "LN": length} for name, length in contigs.items()],
        sort_order=SamOrder.Coordinate if sort else SamOrder.Unsorted,
    )


def write_bam(
    path: Path,
    builder: SamBuilder | None = None,
    *,
    sort: bool = True,
    n: int = 30,
    seed: int = 3,
    index: bool = False,
) -> Path:
    """Write a BAM; returns its path. The same records always give the same bytes.

    Args:
        path: The BAM to write.
        builder: The records; by default `n` 40 bp reads placed at random (by `seed`) on
            chr1/chr2, in coordinate order, or in reverse order under an `unsorted`
            header when `sort` is False.
        sort: Whether the default records (and header) are coordinate-sorted.
        n: How many default reads.
        seed: Where the default reads land.
        index: Also write `PATH.bai` (needs coordinate order).
    """
    if builder is None:
        builder = sam_builder(sort=sort)
        rng = random.Random(seed)
        placed = sorted(
            ((rng.randrange(2), rng.randrange(300)) for _ in range(n)), reverse=not sort
        )
        for number, (contig, start) in enumerate(placed):
            builder.add_single(name=f"r{number}", chrom=f"chr{contig + 1}", start=start)
    records = builder.to_unsorted_list() if not sort else builder.to_sorted_list()
    # Written here rather than with `builder.to_path`, whose `samtools sort` adds a @PG line
    # naming a temporary file: the same records must give the same bytes (and asset id).
    with pysam.AlignmentFile(str(path), "wb", header=builder.header) as out:
        for record in records:
            out.write(record)
    if index:
        pysam.index(str(path))
    return path


def variant_builder(
    samples: Sequence[str] = ("s1",), contigs: Mapping[str, int] = CONTIGS
) -> VariantBuilder:
    """An fgpyo `VariantBuilder` for `samples` over `contigs`."""
    sd = {name: {"ID": name, "length": length} for name, length in contigs.items()}
    return VariantBuilder(sample_ids=samples, sd=sd)


def write_vcf(
    path: Path,
    positions: Sequence[tuple[str, int]] | None = None,
    *,
    sample: str = "s1",
    builder: VariantBuilder | None = None,
) -> Path:
    """Write a VCF, bgzipped with a tabix `.tbi` when the name ends in `.gz`; returns it.

    Args:
        path: The VCF to write (`x.vcf` or `x.vcf.gz`).
        positions: (contig, position) of one het A>G SNV each; by default chr1:10, chr1:50
            and chr2:5.
        sample: The one sample of the default records.
        builder: The records instead, for anything else (see `variant_builder`).
    """
    if builder is None:
        builder = variant_builder(samples=(sample,))
        for contig, pos in positions or [("chr1", 10), ("chr1", 50), ("chr2", 5)]:
            builder.add(contig=contig, pos=pos, ref="A", alts="G", samples={sample: {"GT": (0, 1)}})
    return builder.to_path(path)


def counts_matrix(n_obs: int = 12, n_vars: int = 8, seed: int = 0) -> anndata.AnnData:
    """A tiny AnnData of Poisson(2) counts (float32) named `cell0...` and `gene0...`."""
    import numpy as np

    counts = np.random.default_rng(seed).poisson(2, size=(n_obs, n_vars)).astype("float32")
    return _named(counts)


def write_h5ad(
    path: Path, data: Any = None, obs_names: Sequence[str] | None = None, **shape: int
) -> Path:
    """Write an `.h5ad`; returns its path.

    Args:
        path: The file to write.
        data: An AnnData, a matrix (dense or scipy sparse) to hold exactly as X, or None
            for `counts_matrix(**shape)`.
        obs_names: Cell names for a matrix (default `cell0`, `cell1`, ...).
        **shape: `n_obs`, `n_vars` and `seed` of the default matrix.
    """
    import anndata

    if data is None:
        data = counts_matrix(**shape)
    elif not isinstance(data, anndata.AnnData):
        data = _named(data, obs_names)
    data.write_h5ad(path)
    return path


def _named(matrix: Any, obs_names: Sequence[str] | None = None) -> anndata.AnnData:
    import anndata

    adata = anndata.AnnData(X=matrix)
    adata.obs_names = list(obs_names or [f"cell{i}" for i in range(matrix.shape[0])])
    adata.var_names = [f"gene{i}" for i in range(matrix.shape[1])]
    return adata
