"""Builders for tiny, real test files (FASTA, FASTQ, BAM, VCF.gz, h5ad), made in tmp_path."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

CONTIGS = {"chr1": 600, "chr2": 400}


def genome(seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    return {name: "".join(rng.choice("ACGT") for _ in range(n)) for name, n in CONTIGS.items()}


def write_fasta(path: Path, contigs: dict[str, str], width: int = 60) -> Path:
    with open(path, "w") as handle:
        for name, seq in contigs.items():
            handle.write(f">{name}\n")
            for start in range(0, len(seq), width):
                handle.write(seq[start : start + width] + "\n")
    return path


def reads(n: int = 20, length: int = 50, seed: int = 1, mate: str = "") -> list[tuple]:
    rng = random.Random(seed)
    return [
        (f"read{i}{mate}", "".join(rng.choice("ACGT") for _ in range(length)), "I" * length)
        for i in range(n)
    ]


def write_fastq(path: Path, records: list[tuple], gz: bool | None = None) -> Path:
    text = "".join(f"@{name}\n{seq}\n+\n{qual}\n" for name, seq, qual in records)
    if gz if gz is not None else path.name.endswith(".gz"):
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
            handle.write(text.encode())  # mtime=0: the same reads give the same bytes
    else:
        path.write_text(text)
    return path


def write_bam(path: Path, sort: bool = True, n: int = 30, seed: int = 3) -> Path:
    """A BAM of n reads placed on chr1/chr2; coordinate-sorted unless sort=False."""
    import pysam

    rng = random.Random(seed)
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate" if sort else "unsorted"},
        "SQ": [{"SN": name, "LN": length} for name, length in CONTIGS.items()],
    }
    placed = [(rng.randrange(2), rng.randrange(300)) for _ in range(n)]
    if sort:
        placed.sort()
    else:
        placed.sort(reverse=True)
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i, (tid, pos) in enumerate(placed):
            record = pysam.AlignedSegment(out.header)
            record.query_name = f"r{i}"
            record.query_sequence = "A" * 40
            record.flag = 0
            record.reference_id = tid
            record.reference_start = pos
            record.mapping_quality = 60
            record.cigarstring = "40M"
            record.query_qualities = pysam.qualitystring_to_array("I" * 40)
            out.write(record)
    return path


VCF_HEADER = (
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr1,length=600>\n##contig=<ID=chr2,length=400>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\n"
)


def write_vcf(path: Path, positions: list[tuple[str, int]] | None = None) -> Path:
    """A VCF (bgzipped when the name ends in .gz) with one SNV per position."""
    import pysam

    positions = positions or [("chr1", 10), ("chr1", 50), ("chr2", 5)]
    body = "".join(f"{c}\t{p}\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n" for c, p in positions)
    if path.name.endswith(".gz"):
        plain = path.with_name(path.name[:-3])
        plain.write_text(VCF_HEADER + body)
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
    else:
        path.write_text(VCF_HEADER + body)
    return path


def write_h5ad(path: Path, n_obs: int = 12, n_vars: int = 8) -> Path:
    import anndata
    import numpy as np

    rng = np.random.default_rng(0)
    data = anndata.AnnData(X=rng.poisson(2, size=(n_obs, n_vars)).astype("float32"))
    data.obs_names = [f"cell{i}" for i in range(n_obs)]
    data.var_names = [f"gene{i}" for i in range(n_vars)]
    data.write_h5ad(path)
    return path


def nothing_registered(store_root: Path) -> bool:
    """No manifest and no object was written (validation happens before ingest)."""
    manifests = list((store_root / "manifests").glob("*.json"))
    objects = [p for p in (store_root / "objects").rglob("*") if p.is_file()]
    return not manifests and not objects


def write_h5ad_matrix(path: Path, matrix, obs_names: list[str] | None = None) -> Path:
    """An .h5ad holding exactly `matrix` (dense or scipy sparse) as X; cells named cell0..."""
    import anndata

    data = anndata.AnnData(X=matrix)
    data.obs_names = obs_names or [f"cell{i}" for i in range(matrix.shape[0])]
    data.var_names = [f"gene{i}" for i in range(matrix.shape[1])]
    data.write_h5ad(path)
    return path


def store_state(store_root: Path) -> tuple[list[str], list[str], list[str]]:
    """What a store holds: manifest files, object files and the ids the index answers with.

    Compare it before and after a refused add to show that nothing was registered.
    """
    from stargazer.types import assemble

    if not store_root.exists():
        return [], [], []
    manifests = sorted(p.name for p in (store_root / "manifests").glob("*"))
    objects = sorted(
        str(p.relative_to(store_root)) for p in (store_root / "objects").rglob("*") if p.is_file()
    )
    return manifests, objects, sorted(asset.id for asset in assemble())
