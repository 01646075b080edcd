import pysam
import pytest

from stargazer.tasks import align, call_variants, mark_duplicates, prepare_reference
from stargazer.tasks.variants.accuracy import score_vcf
from stargazer.tasks.variants.bcftools import call_variants_files, split_regions
from stargazer.tasks.variants.calling import parse_regions, plan_regions, region_text
from stargazer.testing import run
from stargazer.testing.germline import make_demo, register_demo
from stargazer.types import Alignment, Reference, assemble


def _marked(prepared, reads):
    aligned = run(align, reference=prepared, reads=reads)
    marked, _ = run(mark_duplicates, alignment=aligned)
    return marked


@pytest.fixture
def cohort(workspace):
    demo = make_demo(workspace / "data", samples=2, seed=21)
    assets = register_demo(demo)
    prepared = run(prepare_reference, reference=assets["reference"])
    marked = [_marked(prepared, reads) for reads in assets["reads"].values()]
    return {"demo": demo, "reference": prepared, "alignments": marked, "truth": assets["truth"]}


def test_joint_call_recovers_the_planted_variants(cohort):
    variants = run(call_variants, reference=cohort["reference"], alignments=cohort["alignments"])
    assert variants.cohort == "sample1_sample2" and variants.sample_id == ""
    assert variants.caller == "bcftools" and "pysam" in variants.tool_version
    assert set(variants.parents) == {cohort["reference"].id, *(a.id for a in cohort["alignments"])}
    with pysam.VariantFile(str(variants.path)) as vcf:
        assert list(vcf.header.samples) == ["sample1", "sample2"]
        assert set(vcf.header.formats.keys()) >= {"GT", "AD", "DP"}
    assert variants.companion("tbi").exists()
    report = score_vcf(variants.path, cohort["demo"].truth, cohort["reference"].path)
    assert report["snv"]["recall"] >= 0.95 and report["snv"]["precision"] >= 0.95
    assert report["indel"]["recall"] >= 0.8
    assert set(report["samples"]) == {"sample1", "sample2"}


def test_region_parallel_calling_matches_one_process(cohort, workspace):
    fasta = cohort["reference"].path
    bams = [a.path for a in cohort["alignments"]]
    one = call_variants_files(fasta, bams, workspace / "one.vcf.gz", threads=1)
    split = call_variants_files(
        fasta, bams, workspace / "split.vcf.gz", threads=3, parallel_min_length=0
    )

    def records(path):
        with pysam.VariantFile(str(path)) as vcf:
            return [str(r) for r in vcf]

    assert records(one) and records(split) == records(one)


def test_bam_from_another_reference_is_refused(cohort, workspace):
    other = make_demo(workspace / "other", seed=77)
    other_reference = run(prepare_reference, reference=Reference.create_sync(other.reference))
    with pytest.raises(Exception, match="aligned to another reference"):
        run(call_variants, reference=other_reference, alignments=cohort["alignments"][:1])
    bam = cohort["alignments"][0]
    unlabelled = Alignment.create_sync(bam.path, sample_id="sample1", sorted=True)
    with pytest.raises(Exception, match="aligned to another reference"):
        run(call_variants, reference=other_reference, alignments=[unlabelled])
    assert assemble(kind="variants", caller="bcftools") == []


def test_one_sample_twice_is_refused(cohort):
    twice = [cohort["alignments"][0], cohort["alignments"][0]]
    with pytest.raises(Exception, match="sample sample1 appears in more than one alignment"):
        run(call_variants, reference=cohort["reference"], alignments=twice)


def test_split_regions_covers_the_genome_once():
    contigs = [("a", 100), ("b", 50), ("c", 7)]
    parts = split_regions(contigs, 3)
    assert len(parts) == 3
    covered = [(n, p) for part in parts for n, s, e in part for p in range(s, e + 1)]
    assert covered == [(n, p) for n, length in contigs for p in range(1, length + 1)]
    assert split_regions(contigs, 1) == [[("a", 1, 100), ("b", 1, 50), ("c", 1, 7)]]


def _filters(path):
    with pysam.VariantFile(str(path)) as vcf:
        declared = set(vcf.header.filters.keys())
        found = [tuple(record.filter.keys()) for record in vcf]
    return declared, found


def test_weak_calls_are_marked_not_dropped(cohort):
    reference, alignments = cohort["reference"], cohort["alignments"][:1]
    default = run(call_variants, reference=reference, alignments=alignments)
    declared, found = _filters(default.path)
    assert {"LowQual", "LowDepth"} <= declared
    assert found.count(("PASS",)) > 0.9 * len(found)
    strict = run(call_variants, reference=reference, alignments=alignments, min_qual=1e6)
    _, marked = _filters(strict.path)
    assert len(marked) == len(found) and all("LowQual" in f for f in marked)
    deep = run(call_variants, reference=reference, alignments=alignments, min_depth=10_000)
    assert all("LowDepth" in f for f in _filters(deep.path)[1])
    assert strict.params["min_qual"] == "1000000.0"
    report = score_vcf(strict.path, cohort["demo"].truth, reference.path, ["sample1"])
    everything = score_vcf(
        strict.path, cohort["demo"].truth, reference.path, ["sample1"], pass_only=False
    )
    assert report["snv"]["tp"] == 0 and everything["snv"]["recall"] > 0.9


def test_plan_regions_balances_length_and_keeps_one_per_thread():
    contigs = [("chr1", 1000), ("chr2", 600), ("chr3", 400)]
    parts = plan_regions(contigs, region_size=500, min_parts=1)
    assert len(parts) == 4
    sizes = [sum(end - start + 1 for _, start, end in part) for part in parts]
    assert sizes == [500, 500, 500, 500]
    assert len(plan_regions(contigs, region_size=10_000, min_parts=2)) == 2
    assert parse_regions(region_text(parts[1])) == parts[1]
    with pytest.raises(ValueError, match="not contig:start-end"):
        parse_regions("chr1:5")
