"""Read chunks for sharded alignment: `split_reads` and `split_pairs`."""

from __future__ import annotations

import pysam
import pytest

from stargazer.tasks import split_reads
from stargazer.tasks.general.bwa_reads import split_pairs, strip_mate_suffix
from stargazer.testing import run
from stargazer.testing.germline import make_demo, register_demo
from stargazer.types import Reads


def _names(path):
    with pysam.FastxFile(str(path)) as handle:
        return [record.name for record in handle]


def test_chunks_keep_every_pair_together_in_order(tmp_path):
    demo = make_demo(tmp_path / "data")
    r1, r2 = demo.reads["sample1"]
    chunks = split_pairs(r1, r2, 700, tmp_path)
    assert len(chunks) == -(-len(_names(r1)) // 700)
    firsts = [name for first, _ in chunks for name in _names(first)]
    seconds = [name for _, second in chunks for name in _names(second)]
    assert firsts == _names(r1) and seconds == _names(r2)
    assert [len(_names(first)) for first, _ in chunks][:-1] == [700] * (len(chunks) - 1)


def test_single_end_reads_split_too(tmp_path):
    demo = make_demo(tmp_path / "data")
    r1, _ = demo.reads["sample1"]
    chunks = split_pairs(r1, None, 1000, tmp_path)
    assert all(second is None for _, second in chunks)
    # names lose their /1 as bwa mem drops it; the reads are the same and in order
    expected = [strip_mate_suffix(name) for name in _names(r1)]
    assert [n for first, _ in chunks for n in _names(first)] == expected


def test_split_reads_registers_chunks_of_the_sample(workspace):
    assets = register_demo(make_demo(workspace / "data"))
    reads = assets["reads"]["sample1"]
    chunks = run(split_reads, reads=reads, reads_per_chunk=800)
    assert len(chunks) == 3 and all(isinstance(c, Reads) for c in chunks)
    assert all(c.sample_id == "sample1" and c.paired and c.parents == [reads.id] for c in chunks)
    assert [c.params["chunk"] for c in chunks] == ["0", "1", "2"]


def test_small_reads_and_zero_stay_whole(workspace):
    assets = register_demo(make_demo(workspace / "data"))
    reads = assets["reads"]["sample1"]
    assert run(split_reads, reads=reads, reads_per_chunk=0)[0].id == reads.id
    assert run(split_reads, reads=reads, reads_per_chunk=10_000_000)[0].id == reads.id
    with pytest.raises(Exception, match="reads_per_chunk must be 0"):
        run(split_reads, reads=reads, reads_per_chunk=-1)
