"""Duplicate marking by region from chunk alignments, and the gather, against one markdup."""

from __future__ import annotations

import asyncio
from collections import Counter

import pysam
import pytest

from stargazer.tasks import align, call_region, call_variants, prepare_reference, split_reads
from stargazer.tasks.general.markdup_shards import (
    gather_alignment,
    in_own_process,
    mark_duplicates_region,
)
from stargazer.tasks.general.region_files import shards_reaching, starts_in, window_bed
from stargazer.tasks.general.samtools import markdup
from stargazer.tasks.variants.calling import region_text, split_regions
from stargazer.testing import alignment_asset, run
from stargazer.testing.germline import make_demo, register_demo
from stargazer.types import Alignment


def _records(path):
    with pysam.AlignmentFile(str(path)) as bam:
        return Counter(
            (r.query_name, r.flag, r.reference_id, r.reference_start, r.cigarstring)
            for r in bam.fetch(until_eof=True)
        )


@pytest.fixture
def chunked(workspace):
    """A demo sample cut into 3 read chunks, each aligned; the genome in 5 regions."""
    demo = make_demo(workspace / "data", seed=51)
    assets = register_demo(demo)
    prepared = run(prepare_reference, reference=assets["reference"])
    chunks = run(split_reads, reads=assets["reads"]["sample1"], reads_per_chunk=800)
    aligned = [run(align, reference=prepared, reads=chunk) for chunk in chunks]
    with pysam.FastaFile(str(prepared.path)) as fasta:
        contigs = list(zip(fasta.references, fasta.lengths, strict=True))
    return {"reference": prepared, "chunks": aligned, "parts": split_regions(contigs, 5)}


def test_regions_gathered_flag_exactly_what_one_whole_markdup_flags(chunked, tmp_path):
    chunks, parts = chunked["chunks"], chunked["parts"]
    assert len(chunks) == 3 and len(parts) == 5
    shards = [
        run(mark_duplicates_region, alignments=chunks, regions=region_text(part)) for part in parts
    ]
    assert all(s.regions and s.duplicates_marked and s.sorted for s in shards)
    gathered = run(gather_alignment, shards=shards, chunks=chunks)
    assert gathered.regions == "" and gathered.parents == [s.id for s in shards]
    merged = tmp_path / "merged.bam"
    pysam.samtools.merge("-f", "-c", "-p", "-o", str(merged), *(str(c.path) for c in chunks))
    whole = markdup(merged, tmp_path / "whole.bam")
    ours = _records(gathered.path)
    assert ours == _records(tmp_path / "whole.bam")
    duplicates = sum(n for key, n in ours.items() if key[1] & 0x400)
    assert duplicates == whole["duplicate_total"] > 20
    # every read is in exactly one shard: the one its position falls in
    assert sum(sum(_records(s.path).values()) for s in shards) == sum(ours.values())


def test_regions_called_from_shards_equal_calls_from_the_whole_alignment(chunked, tmp_path):
    chunks, parts, reference = chunked["chunks"], chunked["parts"], chunked["reference"]
    shards = [
        run(mark_duplicates_region, alignments=chunks, regions=region_text(part)) for part in parts
    ]
    gathered = run(gather_alignment, shards=shards, chunks=chunks)
    whole = run(call_variants, reference=reference, alignments=[gathered], min_qual=0.0)
    calls = []
    for index, part in enumerate(parts):
        reaching = [shards[i] for i in shards_reaching(parts, index)]
        assert shards[index] in reaching
        region = run(
            call_region, reference=reference, alignments=reaching, regions=region_text(part)
        )
        with pysam.VariantFile(str(region.path)) as vcf:
            calls += [(r.contig, r.pos, r.ref, r.alts, round(r.qual, 2)) for r in vcf]
    with pysam.VariantFile(str(whole.path)) as vcf:
        expected = [(r.contig, r.pos, r.ref, r.alts, round(r.qual, 2)) for r in vcf]
    # `whole` is normalised (left-aligned); the region parts are raw, so compare SNVs exactly
    snvs = [c for c in calls if len(c[2]) == 1 and all(len(a) == 1 for a in c[3] or ())]
    assert snvs == [c for c in expected if len(c[2]) == 1 and all(len(a) == 1 for a in c[3])]
    assert len(snvs) > 10


def test_shards_are_refused_where_a_whole_alignment_is_needed(chunked):
    chunks, parts, reference = chunked["chunks"], chunked["parts"], chunked["reference"]
    shard = run(mark_duplicates_region, alignments=chunks, regions=region_text(parts[0]))
    with pytest.raises(Exception, match=r"holds only the reads of .*gather_alignment joins"):
        run(call_variants, reference=reference, alignments=[shard])
    with pytest.raises(Exception, match=r"sample sample1 is given the same region shard more"):
        run(call_region, reference=reference, alignments=[shard, shard], regions="chr1:1-100")
    with pytest.raises(Exception, match=r"sample sample1 appears in more than one alignment"):
        run(call_region, reference=reference, alignments=[shard, chunks[0]], regions="chr1:1-9")


def test_chunks_of_two_samples_or_without_mate_tags_are_refused(chunked, tmp_path):
    chunks = chunked["chunks"]
    other = alignment_asset(tmp_path, sample_id="other")
    with pytest.raises(Exception, match=r"one sample against one reference.*'other'"):
        run(mark_duplicates_region, alignments=[chunks[0], other], regions="chr1:1-100")
    bare = tmp_path / "bare.bam"
    with (
        pysam.AlignmentFile(str(chunks[0].path)) as source,
        pysam.AlignmentFile(str(bare), "wb", template=source) as out,
    ):
        for record in source:
            record.set_tag("ms", None)
            out.write(record)
    untagged = Alignment.create_sync(bare, sorted=True, sample_id="sample1")
    with pytest.raises(Exception, match=r"has no MC/ms mate tags: mark its duplicates whole"):
        run(mark_duplicates_region, alignments=[untagged], regions="chr1:1-100")


def test_a_region_reads_from_the_parts_a_read_overlapping_it_can_start_in():
    parts = [
        [("chr1", 1, 5000)],
        [("chr1", 5001, 5100)],
        [("chr1", 5101, 9000), ("chr2", 1, 300)],
        [("chr2", 301, 8000)],
    ]
    assert shards_reaching(parts, 0) == [0]
    assert shards_reaching(parts, 1) == [0, 1]
    assert shards_reaching(parts, 2) == [0, 1, 2]  # part 1 is shorter than the margin
    assert shards_reaching(parts, 3) == [2, 3]
    assert shards_reaching(parts, 3, margin=0) == [3]


def test_windows_are_clamped_to_the_contigs_and_starts_are_one_based():
    lengths = {"chr1": 9000, "chr2": 8000}
    bed = window_bed([("chr1", 5101, 9000), ("chr2", 1, 300)], lengths, margin=2000)
    assert bed == "chr1\t3100\t9000\nchr2\t0\t2300\n"
    assert starts_in([("chr1", 5, 9)]) == '(rname == "chr1" && pos >= 5 && pos <= 9)'


def test_a_failing_samtools_step_names_itself_and_carries_its_error(tmp_path):
    missing = tmp_path / "missing.bam"
    with pytest.raises(RuntimeError, match=r"samtools mark_region_files failed: .*missing\.bam"):
        asyncio.run(
            in_own_process(
                "mark_region_files", [missing], [("chr1", 1, 9)], tmp_path / "o.bam", tmp_path
            )
        )
    assert not (tmp_path / "o.bam").exists()
