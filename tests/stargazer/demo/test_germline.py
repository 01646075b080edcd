import gzip

import numpy as np
import pysam
import pysam.bcftools
import pytest

from stargazer.demo.germline import GermlineSpec, generate, parse_size
from stargazer.testing.germline import make_demo


def _fastq(path):
    with pysam.FastxFile(str(path)) as handle:
        return [(r.name, r.sequence, r.quality) for r in handle]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    first = make_demo(tmp_path / "a", seed=5)
    again = make_demo(tmp_path / "b", seed=5)
    other = make_demo(tmp_path / "c", seed=6)
    for name in ("reference.fa", "sample1_R1.fastq.gz", "sample1_R2.fastq.gz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first.variants == again.variants
    assert (tmp_path / "a" / "reference.fa").read_bytes() != (
        tmp_path / "c" / "reference.fa"
    ).read_bytes()
    assert first.variants != other.variants


def test_reference_has_several_contigs(tmp_path):
    demo = make_demo(tmp_path)
    with pysam.FastaFile(str(demo.reference)) as fasta:
        assert len(fasta.references) >= 3
        assert sum(fasta.lengths) == 20_000
        assert set(fasta.fetch(fasta.references[0])) <= set("ACGT")


def test_reads_are_paired_150bp_with_mate_suffixes_and_qualities(tmp_path):
    demo = make_demo(tmp_path)
    r1, r2 = (_fastq(path) for path in demo.reads["sample1"])
    assert len(r1) == len(r2)
    assert 1800 <= len(r1) <= 2400  # 20 kb at 30x in 150 bp pairs, plus ~4% duplicates
    assert all(name.endswith("/1") for name, _, _ in r1)
    assert [n[:-2] for n, _, _ in r1] == [n[:-2] for n, _, _ in r2]
    assert {len(seq) for _, seq, _ in r1 + r2} == {150}
    quals = np.array([[ord(c) - 33 for c in q] for _, _, q in r1[:500]])
    assert quals[:, :10].mean() > quals[:, -10:].mean()  # qualities drop along the read
    second = np.array([[ord(c) - 33 for c in q] for _, _, q in r2[:500]])
    assert second.mean() < quals.mean()  # R2 is worse than R1


def test_truth_vcf_has_het_hom_snvs_and_indels_left_aligned(tmp_path):
    demo = make_demo(tmp_path, seed=3)
    with pysam.VariantFile(str(demo.truth)) as vcf:
        records = list(vcf)
        assert list(vcf.header.samples) == ["sample1"]
    genotypes = {tuple(sorted(r.samples["sample1"]["GT"])) for r in records}
    assert genotypes == {(0, 1), (1, 1)}
    assert any(len(r.ref) != len(r.alts[0]) for r in records)
    assert any(len(r.ref) == len(r.alts[0]) == 1 for r in records)
    assert len(records) == len(demo.variants)
    normalised = tmp_path / "norm.vcf"
    pysam.bcftools.norm(
        "-f", str(demo.reference), "-o", str(normalised), str(demo.truth), catch_stdout=False
    )
    with pysam.VariantFile(str(normalised)) as vcf:
        after = [(r.chrom, r.pos, r.ref, r.alts) for r in vcf]
    assert after == [(r.chrom, r.pos, r.ref, r.alts) for r in records]


def test_reads_carry_the_planted_alleles(tmp_path):
    demo = make_demo(tmp_path, seed=4)
    hom = next(v for v in demo.variants if v.is_snv and v.genotypes == (2,))
    with pysam.FastaFile(str(demo.reference)) as fasta:
        left = fasta.fetch(hom.contig, hom.pos - 12, hom.pos)
        right = fasta.fetch(hom.contig, hom.pos + 1, hom.pos + 13)
    with gzip.open(demo.reads["sample1"][0], "rt") as handle:
        text = handle.read()
    forward = left + hom.alt + right
    reverse = forward[::-1].translate(str.maketrans("ACGT", "TGCA"))
    reference = left + hom.ref + right
    carrying = text.count(forward) + text.count(reverse)
    assert carrying > 0
    assert text.count(reference) <= carrying // 5  # only sequencing errors show the ref


def test_several_samples_share_sites_with_their_own_genotypes(tmp_path):
    demo = make_demo(tmp_path, samples=3)
    assert set(demo.reads) == {"sample1", "sample2", "sample3"}
    assert all(any(v.genotypes) for v in demo.variants)
    assert any(len(set(v.genotypes)) > 1 for v in demo.variants)
    with pysam.VariantFile(str(demo.truth)) as vcf:
        assert list(vcf.header.samples) == ["sample1", "sample2", "sample3"]


def test_hard_adds_duplications_homopolymers_and_lower_coverage(tmp_path):
    easy = make_demo(tmp_path / "easy", seed=8)
    hard = make_demo(tmp_path / "hard", seed=8, difficulty="hard")
    with pysam.FastaFile(str(hard.reference)) as fasta:
        genome = "".join(fasta.fetch(name) for name in fasta.references)
    assert any(base * 10 in genome for base in "ACGT")
    kmers = [genome[i : i + 40] for i in range(len(genome) - 40)]
    assert len(kmers) - len(set(kmers)) >= 200  # copied segments repeat
    easy_pairs = len(_fastq(easy.reads["sample1"][0]))
    hard_pairs = len(_fastq(hard.reads["sample1"][0]))
    assert hard_pairs < 0.6 * easy_pairs


@pytest.mark.parametrize(("text", "size"), [("20kb", 20_000), ("1Mb", 1_000_000), ("5000", 5000)])
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_bad_specs_are_refused_with_the_value():
    with pytest.raises(ValueError, match="not a size"):
        parse_size("big")
    with pytest.raises(ValueError, match="difficulty must be one of easy, hard, got 'medium'"):
        GermlineSpec(difficulty="medium")
    with pytest.raises(ValueError, match="at least 10 kb"):
        GermlineSpec(size=500)


def test_generation_writes_the_documented_files(tmp_path):
    demo = generate(GermlineSpec(size=10_000, coverage=5, seed=1), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "reference.fa",
        "sample1_R1.fastq.gz",
        "sample1_R2.fastq.gz",
        "truth.vcf.gz",
        "truth.vcf.gz.tbi",
    ]
    assert demo.contigs == {"chr1": 5000, "chr2": 3000, "chr3": 2000}
