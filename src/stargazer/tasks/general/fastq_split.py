"""FASTQ read and written as bytes, a block of records at a time, for `split_pairs`.

`fastq_blocks` gunzips (or reads) a FASTQ in big pieces, splits each piece into lines at C
speed, checks the four-line layout of every record in bulk and rewrites the names the way
`split_pairs` writes them (``@name/1``: no comment, one mate suffix). Blocks never straddle a
chunk of ``reads_per_chunk`` reads, so `ChunkWriter` only has to gzip them one after another;
zlib releases the GIL, so R1 and R2 are read and compressed in parallel threads.

    for block in fastq_blocks(Path("s_R1.fastq.gz"), 26_000, b"/1"): ...
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

#: Compressed bytes read at a time (a few MB of FASTQ once gunzipped).
PIECE = 1 << 20
#: The first token of a name line: the read name as pysam (kseq) reads it.
_TOKEN = re.compile(rb"^@(\S*)", re.MULTILINE)
_LAYOUT = "each read is 4 lines (@name, bases, +, qualities)"


class Block(NamedTuple):
    """Consecutive reads of one file, all in the same chunk.

    Attributes:
        start: The 0-based number of its first read in the file.
        chunk: The chunk the reads belong to.
        names: Read names without comment or /1, /2 (what pairs R1 with R2).
        headers: The name lines as read (for messages).
        data: The reads as `split_pairs` writes them.
    """

    start: int
    chunk: int
    names: list[bytes]
    headers: list[bytes]
    data: bytes


def chunk_path(outdir: Path, chunk: int, mate: int) -> Path:
    """Where mate 1 or 2 of chunk ``chunk`` is written."""
    return outdir / f"chunk{chunk:04d}_R{mate}.fastq.gz"


def malformed(path: Path, number: int, problem: str) -> ValueError:
    """The error for read ``number`` (1-based) of ``path`` that is not a FASTQ record."""
    return ValueError(f"{path}: read {number} is not a FASTQ record: {problem}; {_LAYOUT}")


def raw_name(header: bytes) -> str:
    """The name of a name line as pysam gives it (``r1/1`` for ``@r1/1 1:N:0``)."""
    match = _TOKEN.match(header)
    return (match.group(1) if match else header).decode(errors="replace")


def decompressed(path: Path) -> Iterator[bytes]:
    """The bytes of ``path`` in pieces, gunzipped when it starts with gzip's magic bytes.

    Raises:
        ValueError: The gzip stream is corrupt or cut short.
    """
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        if gzipped:
            yield from _gunzipped(path, handle)
        else:
            yield from iter(lambda: handle.read(4 * PIECE), b"")


def _gunzipped(path: Path, handle: BinaryIO) -> Iterator[bytes]:
    """The gunzipped bytes of ``handle``, one piece per `PIECE` bytes read."""
    inflater = zlib.decompressobj(31)
    try:
        while compressed := handle.read(PIECE):
            pieces = []
            while compressed:
                if inflater.eof:  # the next member (bgzip writes many; zeros may pad)
                    compressed = compressed.lstrip(b"\0")
                    if not compressed:
                        break
                    inflater = zlib.decompressobj(31)
                pieces.append(inflater.decompress(compressed))
                compressed = inflater.unused_data if inflater.eof else b""
            yield b"".join(pieces)
    except zlib.error as err:
        raise ValueError(f"{path}: corrupt gzip ({err}); re-copy or re-create it") from err
    if not inflater.eof:
        raise ValueError(f"{path}: the gzip stream is cut short; re-copy or re-create it")


def _whole_records(path: Path) -> Iterator[tuple[bytes, list[bytes]]]:
    """``(text, lines)`` of whole records: ``text`` ends with the newline of ``lines[-1]``.

    Raises:
        ValueError: The file ends in the middle of a record.
    """
    carry, count = b"", 0
    for piece in decompressed(path):
        text = carry + piece
        if b"\r" in text:
            text = text.replace(b"\r\n", b"\n")
        lines = text.split(b"\n")
        if len(lines) < 5:  # not one whole record yet
            carry = text
            continue
        spare = (len(lines) - 1) % 4  # whole lines after the last whole record
        end = len(text)
        for _ in range(spare + 1):
            end = text.rfind(b"\n", 0, end)
        carry = text[end + 1 :]
        del lines[len(lines) - 1 - spare :]
        count += len(lines) // 4
        yield text[: end + 1], lines
    lines = carry.split(b"\n")
    while len(lines) % 4 and not lines[-1]:  # the last newline, blank lines after the last read
        lines.pop()
    if len(lines) % 4:
        raise malformed(path, count + len(lines) // 4 + 1, "the file ends in the middle of it")
    if lines:
        yield b"\n".join(lines) + b"\n", lines


def _first_malformed(lines: list[bytes]) -> tuple[int, str] | None:
    """The first record of ``lines`` that is not a 4-line FASTQ record, with the reason."""
    headers, plus = b"\n".join(lines[0::4]), b"\n".join(lines[2::4])
    sequences, qualities = lines[1::4], lines[3::4]
    count = len(sequences)
    if (
        headers.startswith(b"@")
        and headers.count(b"\n@") == count - 1
        and plus.startswith(b"+")
        and plus.count(b"\n+") == count - 1
        and list(map(len, sequences)) == list(map(len, qualities))
    ):
        return None
    for index in range(count):
        record = lines[4 * index : 4 * index + 4]
        if not record[0].startswith(b"@"):
            return index, f"its name line {record[0][:20]!r} does not start with '@'"
        if not record[2].startswith(b"+"):
            return index, f"its third line {record[2][:20]!r} does not start with '+'"
        if len(record[1]) != len(record[3]):
            return index, f"it has {len(record[1])} bases but {len(record[3])} quality values"
    raise AssertionError("a bulk check failed but no record did")  # pragma: no cover


def _rewritten(
    text: bytes | None, lines: list[bytes], start: int, chunk: int, suffix: bytes
) -> Block:
    """The block of checked records ``lines``: names stripped, written ``@name{suffix}``.

    ``text`` is their bytes when known; it is the block's data when nothing changes.
    """
    headers = lines[0::4]
    names = [
        token[:-2] if len(token) > 2 and token[-2:] in (b"/1", b"/2") else token
        for token in _TOKEN.findall(b"\n".join(headers))
    ]
    wanted = (b"@" + (suffix + b"\n@").join(names) + suffix).split(b"\n")
    if text is None or wanted != headers or lines[2::4].count(b"+") != len(names):
        lines[0::4] = wanted
        lines[2::4] = [b"+"] * len(names)
        text = b"\n".join(lines) + b"\n"
    return Block(start, chunk, names, headers, text)


def fastq_blocks(path: Path, reads_per_chunk: int, suffix: bytes) -> Generator[Block, None, None]:
    """The reads of a FASTQ (gzipped or not) in blocks, each inside one chunk of reads.

    A malformed record ends the blocks: the reads before it are yielded, then the error raised.

    Raises:
        ValueError: A record is not a 4-line FASTQ record, or the file is cut short.
    """
    start = 0
    for text, lines in _whole_records(path):
        bad = _first_malformed(lines)
        good = lines if bad is None else lines[: 4 * bad[0]]
        count = len(good) // 4
        done = 0
        while done < count:
            chunk = (start + done) // reads_per_chunk
            end = min(count, (chunk + 1) * reads_per_chunk - start)
            whole = bad is None and done == 0 and end == count
            part = good if whole else good[4 * done : 4 * end]
            yield _rewritten(text if whole else None, part, start + done, chunk, suffix)
            done = end
        if bad is not None:
            raise malformed(path, start + bad[0] + 1, bad[1])
        start += count


class ChunkWriter:
    """Writes one mate's blocks, gzipped (level 1, no timestamp), a file per chunk."""

    def __init__(self, outdir: Path, mate: int) -> None:
        self.outdir, self.mate = outdir, mate
        self.chunks = 0
        self._handle: gzip.GzipFile | None = None

    def write(self, block: Block) -> None:
        """Append ``block`` to its chunk's file (the next chunk's opens a new file)."""
        handle = self._handle
        if handle is None or block.chunk >= self.chunks:
            self.close()
            path = chunk_path(self.outdir, block.chunk, self.mate)
            handle = self._handle = gzip.GzipFile(str(path), "wb", compresslevel=1, mtime=0)
            self.chunks = block.chunk + 1
        handle.write(block.data)

    def close(self) -> None:
        """Finish the current file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


__all__ = ["PIECE", "Block", "ChunkWriter", "chunk_path", "decompressed", "fastq_blocks"]
