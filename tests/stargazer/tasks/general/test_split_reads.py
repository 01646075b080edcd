"""Read chunks for sharded alignment: `split_reads` and `split_pairs`."""

from __future__ import annotations

import gzip
import random
import re

import pysam
import pytest

from stargazer.tasks import split_reads
from stargazer.tasks.general import fastq_split
from stargazer.tasks.general.bwa_reads import batches, pairs, split_pairs, strip_mate_suffix
from stargazer.testing import fastq_records, run, write_fastq
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


# --- split_pairs at the byte level, against a record-by-record split through pysam ---


def _split_by_record(r1, r2, reads_per_chunk, outdir):
    """The straightforward split: every record parsed by pysam (`pairs`), gzipped one by one."""
    chunks, handles = [], []
    try:
        for number, group in enumerate(pairs(r1, r2)):
            if number % reads_per_chunk == 0:
                for handle in handles:
                    handle.close()
                paths = [outdir / f"chunk{len(chunks):04d}_R{mate}.fastq.gz" for mate in (1, 2)]
                chunks.append((paths[0], paths[1] if r2 is not None else None))
                handles = [
                    gzip.GzipFile(str(path), "wb", compresslevel=1, mtime=0)
                    for path in paths[: len(group)]
                ]
            for mate, (handle, (name, bases, quals)) in enumerate(zip(handles, group, strict=True)):
                suffix = f"/{mate + 1}" if r2 is not None else ""
                handle.write(f"@{name}{suffix}\n{bases}\n+\n{quals}\n".encode())
    finally:
        for handle in handles:
            handle.close()
    return chunks


def _mixed_reads(count, seed=5):
    """R1 and R2 records with every kind of name: /1 /2 suffixes or none, comments, tabs."""
    rng = random.Random(seed)
    first, second = [], []
    for i in range(count):
        name = f"read{i}" if i != 7 else "odd/1/1"  # only the last /1 is a mate suffix
        comment = rng.choice(["", " 1:N:0:ACGT", "\tlane=1", " x y"])
        with_suffix = rng.random() < 0.5
        for mate, records in ((1, first), (2, second)):
            length = rng.randint(1, 60)
            bases = "".join(rng.choice("ACGTN") for _ in range(length))
            quals = "".join(chr(rng.randint(35, 74)) for _ in range(length))
            suffix = f"/{mate}" if with_suffix else ""
            records.append((f"{name}{suffix}{comment}", bases, quals))
    return first, second


def _write_reads(path, records, plus_names=False):
    """Write records; with ``plus_names`` the '+' line repeats the name, as old tools did."""
    text = "".join(
        f"@{name}\n{bases}\n+{name if plus_names else ''}\n{quals}\n"
        for name, bases, quals in records
    )
    if path.name.endswith(".gz"):
        with gzip.GzipFile(str(path), "wb", mtime=0) as handle:
            handle.write(text.encode())
    else:
        path.write_text(text)
    return path


def _same_bytes(chunks, expected):
    assert [(a.name, b and b.name) for a, b in chunks] == [
        (a.name, b and b.name) for a, b in expected
    ]
    for got, want in zip(chunks, expected, strict=True):
        for path, reference in zip(got, want, strict=True):
            if path is not None:
                assert path.read_bytes() == reference.read_bytes(), path.name


@pytest.mark.parametrize("piece", [fastq_split.PIECE, 61])
def test_split_pairs_is_byte_identical_to_a_record_by_record_split(tmp_path, monkeypatch, piece):
    monkeypatch.setattr(fastq_split, "PIECE", piece)  # 61: many pieces, cut mid-line
    first, second = _mixed_reads(1003)
    r1 = _write_reads(tmp_path / "m_R1.fastq.gz", first, plus_names=True)
    r2 = _write_reads(tmp_path / "m_R2.fastq.gz", second)
    (tmp_path / "new").mkdir(), (tmp_path / "old").mkdir()
    chunks = split_pairs(r1, r2, 97, tmp_path / "new")
    _same_bytes(chunks, _split_by_record(r1, r2, 97, tmp_path / "old"))
    assert len(chunks) == 11 and chunks[0][0].parent == tmp_path / "new"
    again = split_pairs(r1, r2, 97, tmp_path / "old")  # the same reads, the same bytes
    _same_bytes(again, chunks)


def test_split_pairs_reads_plain_and_multi_member_fastq(tmp_path, monkeypatch):
    monkeypatch.setattr(fastq_split, "PIECE", 100)
    first, second = _mixed_reads(250)
    r1 = _write_reads(tmp_path / "p_R1.fastq", first)
    r2 = tmp_path / "p_R2.fastq.gz"  # two gzip members, as bgzip and `cat a.gz b.gz` write
    r2.write_bytes(b"".join(gzip.compress(_fastq_text(part), mtime=0) for part in _halves(second)))
    (tmp_path / "new").mkdir(), (tmp_path / "old").mkdir()
    chunks = split_pairs(r1, r2, 60, tmp_path / "new")
    _same_bytes(chunks, _split_by_record(r1, r2, 60, tmp_path / "old"))
    assert len(chunks) == 5


@pytest.mark.parametrize("piece", [fastq_split.PIECE, 150])
def test_split_pairs_keeps_reads_already_named_name_slash_mate(tmp_path, monkeypatch, piece):
    monkeypatch.setattr(fastq_split, "PIECE", piece)  # the bytes go through unchanged
    r1 = write_fastq(tmp_path / "k_R1.fastq.gz", fastq_records(n=500, length=31, mate="/1"))
    r2 = write_fastq(tmp_path / "k_R2.fastq", fastq_records(n=500, length=29, seed=2, mate="/2"))
    (tmp_path / "new").mkdir(), (tmp_path / "old").mkdir()
    chunks = split_pairs(r1, r2, 77, tmp_path / "new")
    _same_bytes(chunks, _split_by_record(r1, r2, 77, tmp_path / "old"))
    with gzip.open(chunks[-1][1], "rt") as handle:
        assert handle.read().count("\n") == 4 * (500 % 77)


def _fastq_text(records):
    return "".join(f"@{name}\n{bases}\n+\n{quals}\n" for name, bases, quals in records).encode()


def _halves(records):
    return records[: len(records) // 2], records[len(records) // 2 :]


def test_split_pairs_single_end_writes_names_without_suffix(tmp_path):
    first, _ = _mixed_reads(300)
    r1 = _write_reads(tmp_path / "s_R1.fastq.gz", first)
    (tmp_path / "new").mkdir(), (tmp_path / "old").mkdir()
    chunks = split_pairs(r1, None, 128, tmp_path / "new")
    _same_bytes(chunks, _split_by_record(r1, None, 128, tmp_path / "old"))
    assert [second for _, second in chunks] == [None] * 3
    with gzip.open(chunks[0][0], "rt") as handle:
        assert handle.readline() == "@read0\n"


def test_split_pairs_writes_names_as_pairs_reads_them(tmp_path):
    reads = [("r1 1:N:0", "ACGT", "IIII"), ("r2/1", "GG", "II"), ("r3/1 2:N:0", "T", "I")]
    mates = [("r1 2:N:0", "TTTT", "IIII"), ("r2/2", "CC", "II"), ("r3 x", "A", "I")]
    r1 = _write_reads(tmp_path / "c_R1.fastq", reads)
    r2 = _write_reads(tmp_path / "c_R2.fastq.gz", mates)
    ((first, second),) = split_pairs(r1, r2, 10, tmp_path)
    with gzip.open(first, "rt") as handle:
        assert handle.read() == "@r1/1\nACGT\n+\nIIII\n@r2/1\nGG\n+\nII\n@r3/1\nT\n+\nI\n"
    with gzip.open(second, "rt") as handle:
        assert handle.read() == "@r1/2\nTTTT\n+\nIIII\n@r2/2\nCC\n+\nII\n@r3/2\nA\n+\nI\n"
    assert list(pairs(first, second)) == list(pairs(r1, r2))
    assert list(batches(first, second, 5)) == list(batches(r1, r2, 5))


def _pairs_error(r1, r2):
    """The message `pairs` (record by record, through pysam) gives for these files."""
    with pytest.raises(ValueError) as caught:
        list(pairs(r1, r2))
    return str(caught.value)


@pytest.mark.parametrize(
    "change",
    ["rename", "r1_shorter", "r2_shorter", "r1_empty", "r2_empty", "rename_and_shorter"],
)
def test_split_pairs_refuses_unpaired_files_as_pairs_does(tmp_path, monkeypatch, change):
    monkeypatch.setattr(fastq_split, "PIECE", 200)
    first, second = _mixed_reads(400)
    if change in ("rename", "rename_and_shorter"):
        second[150] = ("other/2 1:N:0", *second[150][1:])
    if change in ("r1_shorter", "rename_and_shorter"):
        first = first[:333]
    first = first[:0] if change == "r1_empty" else first
    second = second[:290] if change == "r2_shorter" else second
    second = second[:0] if change == "r2_empty" else second
    r1 = _write_reads(tmp_path / "u_R1.fastq.gz", first)
    r2 = _write_reads(tmp_path / "u_R2.fastq.gz", second)
    expected = _pairs_error(r1, r2)
    with pytest.raises(ValueError) as caught:
        split_pairs(r1, r2, 100, tmp_path)
    assert str(caught.value) == expected
    assert "do not pair" in expected


@pytest.mark.parametrize(
    ("damage", "number", "problem"),
    [
        (lambda lines: lines.__setitem__(4 * 40 + 2, "-"), 41, "does not start with '+'"),
        (lambda lines: lines.__setitem__(4 * 70, "read70"), 71, "does not start with '@'"),
        (lambda lines: lines.__setitem__(4 * 9 + 3, "II"), 10, "quality values"),
        (lambda lines: lines.__delitem__(slice(4 * 99 + 2, None)), 100, "ends in the middle"),
        (lambda lines: lines.__delitem__(4 * 50 + 3), 51, "quality values"),
    ],
    ids=["plus", "header", "quality", "truncated", "lost_line"],
)
def test_split_pairs_refuses_malformed_fastq_naming_file_and_read(
    tmp_path, monkeypatch, damage, number, problem
):
    monkeypatch.setattr(fastq_split, "PIECE", 300)
    first, second = _mixed_reads(120)
    lines = _fastq_text(second).decode().splitlines()
    damage(lines)
    r1 = _write_reads(tmp_path / "d_R1.fastq.gz", first)
    r2 = tmp_path / "d_R2.fastq"
    r2.write_text("\n".join(lines) + "\n")
    where = re.escape(f"{r2}: read {number} is not a FASTQ record: ")
    with pytest.raises(ValueError, match=f"{where}.*{re.escape(problem)}"):
        split_pairs(r1, r2, 30, tmp_path)


def test_split_pairs_reads_crlf_no_final_newline_and_zero_padded_gzip(tmp_path):
    first, second = _mixed_reads(90)
    r1 = _write_reads(tmp_path / "lf_R1.fastq", first)
    r2 = _write_reads(tmp_path / "lf_R2.fastq", second)
    (tmp_path / "lf").mkdir(), (tmp_path / "crlf").mkdir()
    expected = split_pairs(r1, r2, 40, tmp_path / "lf")
    crlf = tmp_path / "crlf_R1.fastq"
    crlf.write_bytes(r1.read_bytes().replace(b"\n", b"\r\n").removesuffix(b"\r\n"))
    padded = tmp_path / "padded_R2.fastq.gz"
    padded.write_bytes(gzip.compress(r2.read_bytes(), mtime=0) + b"\0" * 512)
    _same_bytes(split_pairs(crlf, padded, 40, tmp_path / "crlf"), expected)


def test_split_pairs_refuses_cut_gzip(tmp_path):
    first, _ = _mixed_reads(200)
    whole = _write_reads(tmp_path / "whole.fastq.gz", first).read_bytes()
    cut = tmp_path / "cut.fastq.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="gzip stream is cut short"):
        split_pairs(cut, None, 50, tmp_path)
    corrupt = tmp_path / "corrupt.fastq.gz"
    corrupt.write_bytes(whole[:20] + bytes(200) + whole[220:])
    with pytest.raises(ValueError, match=f"{re.escape(str(corrupt))}: corrupt gzip"):
        split_pairs(corrupt, None, 50, tmp_path)
