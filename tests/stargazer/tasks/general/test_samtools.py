import json

import pysam
import pytest

from stargazer.tasks import align, alignment_qc, mark_duplicates, prepare_reference
from stargazer.tasks.general.alignment_qc import default_window
from stargazer.tasks.general.samtools import (
    add_mate_tags,
    check_bam_matches_reference,
    has_mate_tags,
    markdup,
)
from stargazer.testing import run
from stargazer.testing.germline import make_demo, register_demo


@pytest.fixture
def aligned(workspace):
    assets = register_demo(make_demo(workspace / "data"))
    prepared = run(prepare_reference, reference=assets["reference"])
    alignment = run(align, reference=prepared, reads=assets["reads"]["sample1"])
    return {"reference": prepared, "alignment": alignment}


def test_mark_duplicates_flags_the_planted_pcr_duplicates(aligned):
    marked, metrics = run(mark_duplicates, alignment=aligned["alignment"])
    assert marked.duplicates_marked and marked.sorted
    assert marked.parents == [aligned["alignment"].id]
    assert marked.tool == "samtools" and "pysam" in marked.tool_version
    with pysam.AlignmentFile(str(marked.path)) as bam:
        records = list(bam)
    duplicates = sum(r.is_duplicate for r in records)
    assert 0.02 * len(records) < duplicates < 0.08 * len(records)  # ~4% planted
    assert metrics.name == "duplicate_metrics" and metrics.format == "tsv"
    rows = dict(line.split("\t") for line in metrics.path.read_text().splitlines()[1:])
    assert float(rows["duplicate_total"]) == duplicates
    assert 0.02 < float(rows["duplicate_rate"]) < 0.08


def test_alignment_qc_reports_rates_insert_size_and_depth_windows(aligned):
    table = run(alignment_qc, alignment=aligned["alignment"], window=1000)
    assert table.name == "alignment_qc" and table.format == "json"
    assert table.parents == [aligned["alignment"].id]
    report = json.loads(table.path.read_text())
    metrics = report["metrics"]
    assert metrics["mapping_rate"] > 0.99
    assert metrics["properly_paired_rate"] > 0.97
    assert 320 < metrics["insert_size_median"] < 380  # simulated 350 +- 50
    assert 20 < metrics["mean_depth"] < 40
    assert report["flagstat"]["read1"] == report["flagstat"]["read2"]
    assert len(report["windows"]) == 10 + 6 + 4
    assert report["windows"][0] == {
        "contig": "chr1",
        "start": 0,
        "end": 1000,
        "depth": report["windows"][0]["depth"],
    }


def test_bams_without_mate_tags_get_them_before_markdup(aligned, workspace):
    source = aligned["alignment"].path
    stripped = workspace / "stripped.bam"
    with (
        pysam.AlignmentFile(str(source)) as bam,
        pysam.AlignmentFile(str(stripped), "wb", template=bam) as out,
    ):
        for record in bam:
            record.set_tag("MC", None)
            record.set_tag("ms", None)
            out.write(record)
    assert not has_mate_tags(stripped)
    fixed = add_mate_tags(stripped, workspace / "fixed.bam")
    assert has_mate_tags(fixed)
    metrics = markdup(fixed, workspace / "marked.bam")
    assert metrics["duplicate_total"] > 0
    assert (workspace / "marked.bam.bai").exists()


def test_bam_from_another_reference_is_named(aligned, workspace):
    other = workspace / "other.fa"
    other.write_text(">chrX\n" + "ACGT" * 1250 + "\n")
    pysam.faidx(str(other))
    with pytest.raises(ValueError, match="aligned to another reference"):
        check_bam_matches_reference(aligned["alignment"].path, f"{other}.fai")


def test_default_window_gives_about_500_windows():
    assert default_window(20_000) == 100
    assert default_window(1_000_000) == 2000
    assert default_window(3_100_000_000) == 10_000_000
