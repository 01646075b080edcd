import json

import pysam

from stargazer.tasks import variant_accuracy
from stargazer.tasks.general.samtools import faidx
from stargazer.tasks.variants.accuracy import compare, score_vcf
from stargazer.testing import run
from stargazer.testing.germline import make_demo, register_demo


def _edit_truth(demo, path, edit):
    """Write a copy of the truth VCF with edit(record_index, line) applied to data lines."""
    with pysam.VariantFile(str(demo.truth)) as vcf:
        header = str(vcf.header)
        lines = [str(r).rstrip("\n") for r in vcf]
    kept = [edited for i, line in enumerate(lines) if (edited := edit(i, line)) is not None]
    plain = path.with_suffix("")
    plain.write_text(header + "\n".join(kept) + "\n")
    return pysam.tabix_index(str(plain), preset="vcf", force=True)


def test_truth_against_itself_is_perfect(tmp_path):
    demo = make_demo(tmp_path)
    faidx(demo.reference)
    report = score_vcf(demo.truth, demo.truth, demo.reference)
    for kind in ("snv", "indel"):
        assert report[kind]["fp"] == report[kind]["fn"] == 0
        assert report[kind]["f1"] == 1.0
    assert report["snv"]["tp"] + report["indel"]["tp"] == len(demo.variants)


def test_missing_calls_and_wrong_genotypes_are_counted(tmp_path):
    demo = make_demo(tmp_path)
    faidx(demo.reference)
    first_snv = next(i for i, v in enumerate(demo.variants) if v.is_snv)
    flipped = next(i for i, v in enumerate(demo.variants) if v.is_snv and i != first_snv)

    def edit(index, line):
        if index == first_snv:
            return None
        if index == flipped:
            fields = line.split("\t")
            fields[-1] = "1/1" if fields[-1] == "0/1" else "0/1"
            return "\t".join(fields)
        return line

    calls = _edit_truth(demo, tmp_path / "calls.vcf.gz", edit)
    snv = score_vcf(calls, demo.truth, demo.reference)["snv"]
    snvs = sum(v.is_snv for v in demo.variants)
    assert (snv["tp"], snv["fp"], snv["fn"]) == (snvs - 2, 1, 2)


def test_compare_splits_snvs_and_indels():
    truth = {("c", 10, "A", "G"): 1, ("c", 20, "AT", "A"): 2}
    calls = {("c", 10, "A", "G"): 1, ("c", 20, "AT", "A"): 1, ("c", 30, "C", "T"): 1}
    result = compare(calls, truth)
    assert result["snv"]["tp"] == 1 and result["snv"]["fp"] == 1
    assert result["indel"] == {
        "tp": 0,
        "fp": 1,
        "fn": 1,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }


def test_variant_accuracy_task_scores_truth_as_perfect(workspace):
    assets = register_demo(make_demo(workspace / "data"))
    table = run(
        variant_accuracy,
        calls=assets["truth"],
        truth=assets["truth"],
        reference=assets["reference"],
    )
    report = json.loads(table.path.read_text())
    assert table.name == "variant_accuracy"
    assert report["snv"]["f1"] == 1.0 and report["indel"]["f1"] == 1.0
