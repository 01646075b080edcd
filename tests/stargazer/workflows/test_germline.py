import json
import sqlite3

import pytest

from stargazer.tasks.variants.accuracy import score_vcf
from stargazer.testing import run
from stargazer.testing.germline import make_demo, register_demo
from stargazer.types import Reads, assemble
from stargazer.workflows import germline_variants
from stargazer.workflows.germline import qc_for


def _task_runs(workspace) -> list[tuple[str, int]]:
    database = workspace / ".flyte" / "local-cache" / "cache.db"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("select task_name, cache_hit from runs").fetchall()
    return [(name.split(".")[-1], hit) for name, hit in rows]


def test_workflow_recovers_the_planted_variants_and_attaches_qc(workspace):
    demo = make_demo(workspace / "data", seed=31)
    assets = register_demo(demo)
    variants = run(
        germline_variants, reference=assets["reference"], samples=[*assets["reads"].values()]
    )
    assert variants.sample_id == "sample1" and variants.caller == "bcftools"
    prepared = next(a for a in assemble(kind="reference") if "bwt" in a.files)
    assert prepared.id in variants.parents
    report = score_vcf(variants.path, demo.truth, prepared.path)
    assert report["snv"]["recall"] >= 0.95 and report["snv"]["precision"] >= 0.95
    assert report["indel"]["f1"] >= 0.8
    (alignment,) = assemble(kind="alignment", duplicates_marked=True, regions="")
    assert alignment.id in variants.parents and alignment.sorted
    (qc,) = qc_for(variants)
    metrics = json.loads(qc.path.read_text())["metrics"]
    assert metrics["mapping_rate"] > 0.99 and 0 < metrics["duplicate_rate"] < 0.2


def test_rerun_is_a_cache_hit_and_new_reads_are_a_miss(workspace):
    demo = make_demo(workspace / "data", seed=32)
    assets = register_demo(demo)
    reads = assets["reads"]["sample1"]
    first = run(germline_variants, reference=assets["reference"], samples=[reads])
    again = run(germline_variants, reference=assets["reference"], samples=[reads])
    assert again.id == first.id
    runs = _task_runs(workspace)
    assert ("germline_variants", 1) in runs
    assert not any(name == "align" and hit for name, hit in runs)
    # the same content registered from another path is the same asset: still a hit
    copy = workspace / "copy"
    copy.mkdir()
    r1, r2 = (copy / p.name for p in demo.reads["sample1"])
    r1.write_bytes(demo.reads["sample1"][0].read_bytes())
    r2.write_bytes(demo.reads["sample1"][1].read_bytes())
    same = Reads.create_sync(
        r1,
        companions={"r2": r2},
        parents=[assets["reference"]],
        sample_id="sample1",
        tool=reads.tool,
        tool_version=reads.tool_version,
        params=reads.params,
    )
    assert same.id == reads.id
    # changed bytes (another sample's reads) are a miss: the workflow runs align again
    other = make_demo(workspace / "other", seed=32, coverage=25)  # same genome, other reads
    changed = Reads.create_sync(
        other.reads["sample1"][0],
        companions={"r2": other.reads["sample1"][1]},
        sample_id="sample1",
    )
    third = run(germline_variants, reference=assets["reference"], samples=[changed])
    assert third.id != first.id
    aligns = [hit for name, hit in _task_runs(workspace) if name == "align"]
    assert aligns.count(0) == 2


def test_cohort_is_called_jointly(workspace):
    demo = make_demo(workspace / "data", samples=2, seed=33)
    assets = register_demo(demo)
    variants = run(
        germline_variants,
        reference=assets["reference"],
        samples=list(assets["reads"].values()),
        cohort="family",
    )
    assert variants.cohort == "family" and variants.sample_id == ""
    prepared = next(a for a in assemble(kind="reference") if "bwt" in a.files)
    report = score_vcf(variants.path, demo.truth, prepared.path)
    assert set(report["samples"]) == {"sample1", "sample2"}
    marked = assemble(kind="alignment", duplicates_marked=True, regions="")
    assert sorted(a.sample_id for a in marked) == ["sample1", "sample2"]


def test_reads_that_do_not_match_stop_the_workflow_with_advice(workspace):
    assets = register_demo(make_demo(workspace / "data", seed=34))
    other = make_demo(workspace / "other", seed=35)
    foreign = Reads.create_sync(
        other.reads["sample1"][0],
        companions={"r2": other.reads["sample1"][1]},
        sample_id="foreign",
    )
    with pytest.raises(Exception, match=r"only \d+\.\d% of the .* reads of sample foreign"):
        run(germline_variants, reference=assets["reference"], samples=[foreign])
    assert assemble(kind="variants", caller="bcftools") == []
    assert assemble(kind="alignment") == []


def test_a_sample_given_twice_is_refused(workspace):
    assets = register_demo(make_demo(workspace / "data", seed=36))
    reads = assets["reads"]["sample1"]
    with pytest.raises(Exception, match="sample sample1 is given more than once"):
        run(germline_variants, reference=assets["reference"], samples=[reads, reads])
