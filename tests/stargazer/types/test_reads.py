from __future__ import annotations

import asyncio

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import fastq_records as reads
from stargazer.testing import genome, nothing_registered, write_fasta, write_fastq
from stargazer.types import Reads


def _refused(workspace, match, path, **kwargs):
    with pytest.raises(InvalidAssetError, match=match):
        asyncio.run(Reads.create(path, **kwargs))
    assert nothing_registered(workspace / ".stargazer")


def test_single_end_plain_and_gzip(workspace):
    plain = asyncio.run(Reads.create(write_fastq(workspace / "a.fq", reads()), sample_id="a"))
    gz = asyncio.run(Reads.create(write_fastq(workspace / "b.fq.gz", reads()), sample_id="b"))
    assert not plain.paired and not gz.paired and plain.platform == "ILLUMINA"


def test_truncated_gzip_is_refused(workspace):
    good = write_fastq(workspace / "r.fastq.gz", reads(n=200))
    cut = workspace / "cut.fastq.gz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _refused(workspace, r"cut.fastq.gz: the gzip stream is truncated", cut)


def test_sequence_and_quality_lengths_must_match(workspace):
    records = reads()
    records[3] = (records[3][0], records[3][1], records[3][2][:-5])
    _refused(
        workspace,
        r"bad.fq: .*read 4",
        write_fastq(workspace / "bad.fq", records),
    )


def test_r1_r2_with_different_counts_or_names(workspace):
    r1 = write_fastq(workspace / "R1.fq", reads(mate="/1"))
    fewer = write_fastq(workspace / "R2short.fq", reads(n=19, seed=2, mate="/2"))
    _refused(workspace, "R2short.fq: has fewer reads than", r1, companions={"r2": fewer})
    renamed = [(f"other{i}/2", s, q) for i, (_, s, q) in enumerate(reads(seed=2))]
    wrong = write_fastq(workspace / "R2names.fq", renamed)
    _refused(
        workspace,
        r"R2names.fq: read 1 is 'other0/2' but R1 has 'read0/1'",
        r1,
        companions={"r2": wrong},
    )


def test_paired_without_r2_is_refused(workspace):
    _refused(
        workspace, "paired=True but no R2", write_fastq(workspace / "r.fq", reads()), paired=True
    )


def test_empty_file_and_wrong_type(workspace):
    empty = workspace / "empty.fastq"
    empty.write_bytes(b"")
    _refused(workspace, "empty.fastq: the file is empty", empty)
    fasta = write_fasta(workspace / "genome.fastq", genome())
    _refused(
        workspace,
        r"genome.fastq: expected FASTQ .* it is a FASTA file; add it as --type reference",
        fasta,
    )
