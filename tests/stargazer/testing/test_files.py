"""The file builders write files that pysam and anndata read back as intended."""

from __future__ import annotations

from pathlib import Path

import anndata
import numpy as np
import pysam
import pytest
from scipy import sparse

from stargazer.testing import (
    CONTIGS,
    VCF_HEADER,
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


def test_genome_is_reproducible_dna_of_the_contig_lengths():
    contigs = genome(seed=4)
    assert contigs == genome(seed=4) and contigs != genome(seed=5)
    assert {name: len(bases) for name, bases in contigs.items()} == CONTIGS
    assert set("".join(contigs.values())) <= set("ACGT")


def test_write_fasta_reads_back_with_pysam(tmp_path: Path):
    fasta = write_fasta(tmp_path / "ref.fa", genome(), index=True)
    assert Path(f"{fasta}.fai").is_file()
    with pysam.FastaFile(str(fasta)) as handle:
        assert dict(zip(handle.references, handle.lengths, strict=True)) == CONTIGS
        assert handle.fetch("chr2", 100, 110) == genome()["chr2"][100:110]
    header = (tmp_path / "ref.dict").read_text()
    assert "SN:chr1\tLN:600" in header and "SN:chr2\tLN:400" in header


def test_write_fasta_wraps_lines_and_indexes_only_when_asked(tmp_path: Path):
    fasta = write_fasta(tmp_path / "ref.fa", {"chrX": "ACGT" * 5}, width=8)
    assert fasta.read_text() == ">chrX\nACGTACGT\nACGTACGT\nACGT\n"
    assert not Path(f"{fasta}.fai").exists() and not (tmp_path / "ref.dict").exists()


def test_write_fasta_refuses_no_contigs(tmp_path: Path):
    with pytest.raises(ValueError, match="at least one contig"):
        write_fasta(tmp_path / "ref.fa", {})


def test_write_fastq_gzips_by_name_and_reads_back(tmp_path: Path):
    records = fastq_records(n=3, length=10, mate="/1")
    path = write_fastq(tmp_path / "r.fastq.gz", records)
    with pysam.FastxFile(str(path)) as reads:
        assert [(r.name, r.sequence, r.quality) for r in reads] == [
            (name, seq, qual) for name, seq, qual in records
        ]
    assert records[0][0] == "read0/1"


def test_write_fastq_is_byte_for_byte_reproducible(tmp_path: Path):
    first = write_fastq(tmp_path / "a.fq.gz", fastq_records()).read_bytes()
    assert write_fastq(tmp_path / "b.fq.gz", fastq_records()).read_bytes() == first
    assert write_fastq(tmp_path / "c.fq.gz", fastq_records(seed=2)).read_bytes() != first


def test_write_fastq_plain_text(tmp_path: Path):
    path = write_fastq(tmp_path / "r.fq", [("x", "ACGT", "IIII")])
    assert path.read_text() == "@x\nACGT\n+\nIIII\n"


def test_write_bam_default_is_sorted_and_indexed_on_request(tmp_path: Path):
    bam = write_bam(tmp_path / "a.bam", index=True)
    with pysam.AlignmentFile(str(bam)) as reads:
        assert reads.header.to_dict()["HD"]["SO"] == "coordinate"
        records = list(reads.fetch())
    assert len(records) == 30 and all(r.cigarstring == "40M" for r in records)
    keys = [(r.reference_id, r.reference_start) for r in records]
    assert keys == sorted(keys)


def test_write_bam_unsorted_is_out_of_order_without_an_index(tmp_path: Path):
    bam = write_bam(tmp_path / "u.bam", sort=False, n=10)
    with pysam.AlignmentFile(str(bam)) as reads:
        assert reads.header.to_dict()["HD"]["SO"] == "unsorted"
        keys = [(r.reference_id, r.reference_start) for r in reads]
    assert keys == sorted(keys, reverse=True) and keys != sorted(keys)
    assert not Path(f"{bam}.bai").exists()


def test_write_bam_same_records_same_bytes(tmp_path: Path):
    first = write_bam(tmp_path / "a.bam", n=12, seed=9).read_bytes()
    assert write_bam(tmp_path / "b.bam", n=12, seed=9).read_bytes() == first
    assert write_bam(tmp_path / "c.bam", n=12, seed=8).read_bytes() != first


def test_write_bam_writes_the_records_of_a_sam_builder(tmp_path: Path):
    builder = sam_builder({"chrA": 500}, read_length=30)
    builder.add_pair(name="p", chrom="chrA", start1=100, start2=300)
    bam = write_bam(tmp_path / "pairs.bam", builder, index=True)
    with pysam.AlignmentFile(str(bam)) as reads:
        records = list(reads.fetch("chrA"))
    assert [(r.query_name, r.is_read1, r.reference_start) for r in records] == [
        ("p", True, 100),
        ("p", False, 300),
    ]
    assert records[0].next_reference_start == 300 and records[1].next_reference_start == 100


def test_write_vcf_gz_is_bgzipped_indexed_and_genotyped(tmp_path: Path):
    vcf = write_vcf(tmp_path / "calls.vcf.gz", [("chr2", 7), ("chr1", 3)])
    assert Path(f"{vcf}.tbi").is_file()
    with pysam.VariantFile(str(vcf)) as variants:
        assert list(variants.header.samples) == ["s1"]
        records = [(r.chrom, r.pos, r.ref, r.alts, r.samples["s1"]["GT"]) for r in variants]
    assert records == [("chr1", 3, "A", ("G",), (0, 1)), ("chr2", 7, "A", ("G",), (0, 1))]
    with pysam.VariantFile(str(vcf)) as variants:
        assert [r.pos for r in variants.fetch("chr2")] == [7]


def test_write_vcf_plain_has_the_default_sites(tmp_path: Path):
    vcf = write_vcf(tmp_path / "calls.vcf")
    assert vcf.read_text().startswith("##fileformat=VCF")
    with pysam.VariantFile(str(vcf)) as variants:
        assert [(r.chrom, r.pos) for r in variants] == [("chr1", 10), ("chr1", 50), ("chr2", 5)]


def test_write_vcf_writes_the_records_of_a_variant_builder(tmp_path: Path):
    builder = variant_builder(samples=("a", "b"), contigs={"chr7": 1000})
    builder.add(contig="chr7", pos=900, ref="C", alts="T", samples={"a": {"GT": (1, 1)}})
    vcf = write_vcf(tmp_path / "two.vcf.gz", builder=builder)
    with pysam.VariantFile(str(vcf)) as variants:
        assert list(variants.header.samples) == ["a", "b"]
        assert [(r.pos, r.samples["a"]["GT"]) for r in variants.fetch("chr7")] == [(900, (1, 1))]


def test_vcf_header_reads_with_pysam(tmp_path: Path):
    path = tmp_path / "hand.vcf"
    path.write_text(VCF_HEADER + "chr2\t5\t.\tC\tT\t50\tPASS\t.\tGT\t1/1\n")
    with pysam.VariantFile(str(path)) as variants:
        assert [(r.pos, r.samples["s1"]["GT"]) for r in variants] == [(5, (1, 1))]


def test_write_h5ad_default_is_named_whole_counts(tmp_path: Path):
    adata = anndata.read_h5ad(write_h5ad(tmp_path / "x.h5ad", n_obs=5, n_vars=3))
    assert adata.shape == (5, 3)
    assert list(adata.obs_names) == [f"cell{i}" for i in range(5)]
    assert np.array_equal(adata.X, counts_matrix(5, 3).X)
    assert np.array_equal(adata.X, np.round(adata.X)) and adata.X.min() >= 0


def test_write_h5ad_holds_a_sparse_matrix_exactly(tmp_path: Path):
    matrix = sparse.csr_matrix(np.array([[0, 1], [2, 0], [0, 0]], dtype="float32"))
    path = write_h5ad(tmp_path / "m.h5ad", matrix, obs_names=["a", "b", "c"])
    adata = anndata.read_h5ad(path)
    assert sparse.issparse(adata.X) and (matrix != adata.X).nnz == 0
    assert list(adata.obs_names) == ["a", "b", "c"] and list(adata.var_names) == ["gene0", "gene1"]
