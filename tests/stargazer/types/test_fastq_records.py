"""Reads checked a block at a time (`fastq_records.count_reads`), with pysam as the judge.

The fast checks accept only reads pysam reads exactly as written; anything else goes to the
record-by-record checks with pysam, which name the problem as they always did (or accept what
pysam accepts). These tests pin both halves: what the fast checks take, and that what they
leave to pysam gets the same outcome and message as before.
"""

from __future__ import annotations

import asyncio
import gzip
import random
from pathlib import Path

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import fastq_records as reads
from stargazer.testing import nothing_registered, write_fastq
from stargazer.types import Reads, fastq_records
from stargazer.types import reads as reads_module


def _text(records, end="\n"):
    return "".join(f"@{n}{end}{s}{end}+{end}{q}{end}" for n, s, q in records).encode()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def _refused(workspace, match, path, **kwargs):
    with pytest.raises(InvalidAssetError, match=match) as refused:
        asyncio.run(Reads.create(path, **kwargs))
    assert nothing_registered(workspace / ".stargazer")
    return str(refused.value)


@pytest.fixture
def fast_only(monkeypatch):
    """Fail if the record-by-record checks with pysam run: the fast checks must decide."""

    def slow(*args):
        raise AssertionError("the fast checks left these reads to pysam")

    monkeypatch.setattr(reads_module, "_check_slowly", slow)


@pytest.mark.parametrize("piece", [fastq_records.PIECE, 7, 64])
def test_count_reads_counts_whole_records_across_pieces(tmp_path, monkeypatch, piece):
    monkeypatch.setattr(fastq_records, "PIECE", piece)  # 7: records cut anywhere, even in CRLF
    first, second = reads(n=75, length=31, mate="/1"), reads(n=75, seed=2, mate="/2")
    r1 = _write(tmp_path / "c_R1.fq.gz", _text(first, "\r\n"))
    r2 = _write(tmp_path / "c_R2.fq", _text(second).rstrip(b"\n"))  # no final newline
    assert fastq_records.count_reads(r1, r2) == 75
    assert fastq_records.count_reads(r2, None) == 75
    blocks = list(fastq_records.record_blocks(r1, piece))
    names = b"".join(fastq_records.mate_names(block) for block in blocks)
    assert names == b"".join(f"@read{i}\n".encode() for i in range(75))


@pytest.mark.parametrize(
    ("first", "second"),
    [("a/2/1", "a/2/2"), ("/1", "/2"), ("a 1:N:0", "a/2\tx"), ("a/1/", "a/1/")],
)
def test_names_pair_as_pysam_gives_them_without_the_mate_suffix(tmp_path, first, second):
    r1 = _write(tmp_path / "n_R1.fq", _text([(first, "ACGT", "IIII")]))
    r2 = _write(tmp_path / "n_R2.fq", _text([(second, "TTTT", "IIII")]))
    assert fastq_records.count_reads(r1, r2) == 1


def test_r2_with_a_damaged_gzip_member_in_the_middle_is_named(workspace):
    r1 = write_fastq(workspace / "s_R1.fastq.gz", reads(n=400, mate="/1"))
    text = _text(reads(n=400, seed=2, mate="/2"))
    second = bytearray(gzip.compress(text[len(text) // 2 :], mtime=0))
    second[len(second) // 2] ^= 0x10  # inside the second member's compressed data
    r2 = workspace / "s_R2.fastq.gz"
    r2.write_bytes(gzip.compress(text[: len(text) // 2], mtime=0) + bytes(second))
    damaged = "s_R2.fastq.gz: the gzip stream is truncated or corrupt"
    message = _refused(workspace, damaged, r1, companions={"r2": r2})
    assert message.startswith(str(r2))


def test_damaged_gzip_is_named_before_a_bad_record_of_the_other_file(workspace):
    """As before: every file's gzip stream is checked before any record."""
    bad = reads(n=50, mate="/1")
    bad[3] = ("read3/1", "ACGT", "II")
    r1 = write_fastq(workspace / "s_R1.fastq.gz", bad)
    whole = write_fastq(workspace / "w_R2.fastq.gz", reads(n=50, seed=2, mate="/2")).read_bytes()
    r2 = workspace / "s_R2.fastq.gz"
    r2.write_bytes(whole[: len(whole) - 40])
    _refused(workspace, "s_R2.fastq.gz: the gzip stream is truncated", r1, companions={"r2": r2})


def test_plain_reads_are_decided_by_the_fast_checks(workspace, fast_only):
    first = [(f"{n.removesuffix('/1')} 1:N:0:ACGT", s, q) for n, s, q in reads(n=40, mate="/1")]
    r1 = _write(workspace / "p_R1.fq.gz", _text(first))
    r2 = write_fastq(workspace / "p_R2.fq.gz", reads(n=40, seed=2, mate="/2"))
    assert asyncio.run(Reads.create(r1, companions={"r2": r2}, sample_id="p")).paired
    assert not asyncio.run(Reads.create(r2, sample_id="q")).paired


def test_crlf_reads_are_accepted_by_the_fast_checks(workspace, monkeypatch, fast_only):
    monkeypatch.setattr(fastq_records, "PIECE", 13)  # CR and LF fall in different pieces
    r1 = _write(workspace / "w_R1.fq.gz", _text(reads(n=30, mate="/1"), "\r\n"))
    r2 = _write(workspace / "w_R2.fq", _text(reads(n=30, seed=2, mate="/2"), "\r\n"))
    created = asyncio.run(Reads.create(r1, companions={"r2": r2}, sample_id="w"))
    assert created.paired


@pytest.mark.parametrize(
    "data",
    [
        b"@a\nAC\nGT\n+\nII\nII\n@b\nG\n+\nI\n",  # multi-line
        b"@a\nACGT\n+\nIIII\n\n@b\nG\n+\nI\n",  # a blank line between reads
        b"@a\nACGT\n+\nIIII\n@b\nG\n+\nI\nnot a read\n",  # junk after the last read
        b"@a\nAC\rT\n+\nIIII\r\n",  # a CR inside the bases: a base to pysam
        b"@a\r\nACGT\r\n+\r\nIIII\r",  # the last CR with no LF after it
        "@é\nACGT\n+\nIIII\n".encode(),  # UTF-8, not ASCII
        b"".join(map(gzip.compress, [b"@a\nACGT\n+\nIIII\n", b"", b"@b\nG\n+\nI\n"])),
    ],
    ids=["multi-line", "blank-line", "junk-after", "cr-in-bases", "last-cr", "utf8", "empty-gz"],
)
def test_reads_pysam_reads_another_way_are_still_accepted(workspace, data):
    path = workspace / "odd.fq"
    path.write_bytes(data)
    assert not asyncio.run(Reads.create(path, sample_id="odd")).paired


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"@a\n@CGT\n+\nIIII\n", r"read 1 \(a\) has no quality line; this looks like FASTA"),
        (b"@a\nAC\0T\n+\nIIII\n", r"read 1 \(a\) has 2 bases but 4 quality values"),
        (b"@\xe9\nACGT\n+\nIIII\n", r"not a valid FASTQ near read 1 \('utf-8' codec"),
        (b"@a\n\n+\n\n@b\nG\n+\nI\n", r"read 1 \(a\) has no quality line; this looks like"),
        (gzip.compress(b"@a\nACGT\n+\nIIII\n") + bytes(64), "not a valid FASTQ near read 1"),
    ],
    ids=["bases-start-with-@", "nul", "latin-1", "empty-bases-and-qualities", "zero-padded-gzip"],
)
def test_reads_pysam_refuses_get_the_message_they_always_got(workspace, data, match):
    path = workspace / "bad.fq"
    path.write_bytes(data)
    _refused(workspace, rf"bad\.fq: {match}", path)


def test_names_that_differ_only_before_the_suffix_are_refused(workspace):
    r1 = _write(workspace / "m_R1.fq", _text([("a/2/1", "A", "I")]))
    r2 = _write(workspace / "m_R2.fq", _text([("a/2", "C", "I")]))
    _refused(workspace, r"m_R2.fq: read 1 is 'a/2' but R1 has 'a/2/1'", r1, companions={"r2": r2})


def _mutated(rng: random.Random, data: bytes) -> bytes:
    """``data`` with one random change of the kinds that break or bend FASTQ."""
    where = rng.randrange(len(data))
    change = rng.choice([b"", b"\n", b"\r", b"\r\n", b"@", b"+", b">", b" ", b"\0", b"\xe9"])
    kind = rng.randrange(6)
    if kind == 0:
        return data[:where] + change + data[where + 1 :]
    if kind == 1:
        return data[:where]
    if kind == 2:
        return data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else data + b"\n\n\n\n"
    return data


def test_what_the_fast_checks_accept_pysam_reads_the_same(tmp_path, monkeypatch):
    """Random damage: whenever `count_reads` is sure, pysam reads as many reads (pairs)."""
    rng = random.Random(7)
    accepted = 0
    for case in range(150):
        monkeypatch.setattr(fastq_records, "PIECE", rng.choice([5, 40, 1 << 20]))
        records = reads(n=rng.randint(1, 6), length=rng.randint(1, 8), seed=case, mate="/1")
        mates = [(n.replace("/1", rng.choice(["/2", "", " 2:N"])), s, q) for n, s, q in records]
        r1 = _write(tmp_path / f"{case}_R1.fq.gz", _mutated(rng, _text(records)))
        r2 = _write(tmp_path / f"{case}_R2.fq", _mutated(rng, _text(mates)))
        try:
            count = fastq_records.count_reads(r1, r2)
        except ValueError:
            continue  # left to pysam
        accepted += 1
        assert reads_module._check_slowly(r1, r2) == count, case
    assert accepted > 30  # the fast checks decide good files


@pytest.mark.parametrize("piece", [7, 13, 1 << 20])
def test_whole_records_read_crlf_the_same_in_any_pieces(tmp_path, piece):
    """Only the CR of a CRLF is dropped, once, wherever the pieces are cut (CR CR LF too)."""
    path = tmp_path / "crcr.fq"
    path.write_bytes(b"".join(b"@r%d\r\r\nACGT\r\r\n+\r\nIIII\r\r\n" % i for i in range(30)))
    lines = [line for _, block in fastq_records.whole_records(path, piece) for line in block]
    expected = []
    for i in range(30):
        expected += [b"@r%d\r" % i, b"ACGT\r", b"+", b"IIII\r"]
    assert lines == expected
