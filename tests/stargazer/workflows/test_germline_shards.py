"""Scatter-gather in germline_variants: read chunks and calling regions as task calls."""

from __future__ import annotations

import pysam
import pytest

from stargazer.store import open_store
from stargazer.tasks import split_reads
from stargazer.tasks.variants.accuracy import score_vcf
from stargazer.testing.germline import make_demo, register_demo
from stargazer.testing.runs import run, task_runs
from stargazer.types import Alignment, Reads, assemble
from stargazer.workflows import germline_variants

#: ~2,100 pairs in 5 chunks; a 20 kb genome in 4 regions.
SHARDS = {"reads_per_chunk": 450, "region_size": 5_000}


def _calls(path):
    with pysam.VariantFile(str(path)) as vcf:
        return [str(record) for record in vcf]


def _count(workspace, task, run_index=-1, hit=None):
    runs = task_runs(workspace)
    names = sorted({name for name, _, _ in runs}, key=[r[0] for r in runs].index)
    wanted = names[run_index]
    return sum(
        1 for name, t, h in runs if name == wanted and t == task and (hit is None or h == hit)
    )


def test_sharded_run_calls_what_one_shard_calls(workspace):
    demo = make_demo(workspace / "data", seed=41)
    assets = register_demo(demo)
    reads = assets["reads"]["sample1"]
    whole = run(germline_variants, reference=assets["reference"], samples=[reads])
    sharded = run(germline_variants, reference=assets["reference"], samples=[reads], **SHARDS)
    assert _count(workspace, "align") == 5
    assert _count(workspace, "call_region") == 4
    assert _count(workspace, "mark_duplicates_region") == 4
    assert _count(workspace, "gather_alignment") == 1
    assert _count(workspace, "merge_alignments") == 0 and _count(workspace, "mark_duplicates") == 0
    prepared = next(a for a in assemble(kind="reference") if "bwt" in a.files)
    one = score_vcf(whole.path, demo.truth, prepared.path, pass_only=False)
    many = score_vcf(sharded.path, demo.truth, prepared.path, pass_only=False)
    assert many["snv"]["f1"] >= one["snv"]["f1"] - 0.005 and many["snv"]["f1"] > 0.97
    assert many["indel"]["f1"] >= one["indel"]["f1"] - 0.02
    assert set(sharded.parents) >= {prepared.id}
    marked = assemble(kind="alignment", duplicates_marked=True, regions="")
    gathered = next(a for a in marked if a.id in sharded.parents)
    shards = [Alignment.load(parent) for parent in gathered.parents]
    assert len(shards) == 4 and all(len(shard.parents) == 5 for shard in shards)
    assert shards[0].regions.startswith("chr1:1-") and len({s.regions for s in shards}) == 4


def test_regions_alone_give_the_same_calls(workspace):
    demo = make_demo(workspace / "data", seed=42)
    assets = register_demo(demo)
    reads = assets["reads"]["sample1"]
    whole = run(germline_variants, reference=assets["reference"], samples=[reads])
    regions = run(
        germline_variants, reference=assets["reference"], samples=[reads], region_size=3_000
    )
    assert _count(workspace, "call_region") == 7
    assert _calls(regions.path) == _calls(whole.path) and _calls(whole.path)


def test_a_failed_shard_reruns_alone(workspace):
    """A damaged chunk fails its align; the other chunks are cached and a re-run redoes one.

    The chunk's stored bytes are damaged for real (the store refuses them), then restored.
    """
    assets = register_demo(make_demo(workspace / "data", seed=43))
    reads = assets["reads"]["sample1"]
    chunks = run(split_reads, reads=reads, reads_per_chunk=SHARDS["reads_per_chunk"])
    assert len(chunks) == 5 and all(isinstance(c, Reads) for c in chunks)
    damaged = open_store().local.object_path(chunks[2].files["primary"])
    original = damaged.read_bytes()
    damaged.chmod(0o644)
    damaged.write_bytes(original[:-100] + b"\0" * 100)
    with pytest.raises(Exception, match=r"is corrupted: its bytes no longer match"):
        run(germline_variants, reference=assets["reference"], samples=[reads], **SHARDS)
    assert _count(workspace, "split_reads", hit=1) == 1  # the chunks were not made again
    assert _count(workspace, "align", hit=0) >= 4
    damaged.write_bytes(original)
    run(germline_variants, reference=assets["reference"], samples=[reads], **SHARDS)
    assert _count(workspace, "align", hit=1) == 4
    assert _count(workspace, "align", hit=0) == 1
    assert _count(workspace, "split_reads", hit=1) == 1


def _records(alignment):
    with pysam.AlignmentFile(str(alignment.path)) as bam:
        return sorted(
            (r.query_name, r.flag, r.reference_id, r.reference_start)
            for r in bam.fetch(until_eof=True)
        )


def test_a_cohort_in_regions_gives_the_same_calls_and_marked_reads(workspace):
    """Two samples, 7 regions: each sample's shards are marked apart, the calls are joint."""
    demo = make_demo(workspace / "data", samples=2, seed=44)
    assets = register_demo(demo)
    samples = list(assets["reads"].values())
    whole = run(germline_variants, reference=assets["reference"], samples=samples)
    marked_whole = {
        a.sample_id: a
        for a in assemble(kind="alignment", regions="")
        if a.duplicates_marked and a.id in whole.parents
    }
    regions = run(
        germline_variants, reference=assets["reference"], samples=samples, region_size=3_000
    )
    assert _count(workspace, "mark_duplicates_region") == 14
    assert _count(workspace, "gather_alignment") == 2
    assert _calls(regions.path) == _calls(whole.path) and _calls(whole.path)
    gathered = [Alignment.load(parent) for parent in regions.parents[1:]]
    assert sorted(a.sample_id for a in gathered) == ["sample1", "sample2"]
    for alignment in gathered:
        assert alignment.regions == "" and len(alignment.parents) == 7
        assert _records(alignment) == _records(marked_whole[alignment.sample_id])
