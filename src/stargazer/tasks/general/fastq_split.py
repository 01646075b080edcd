"""FASTQ read and written as bytes, a block of records at a time, for `split_pairs`.

`fastq_blocks` gunzips (or reads) a FASTQ in big pieces, splits each piece into lines at C
speed, checks the four-line layout of every record in bulk (these three with
`stargazer.types.fastq_records`, shared with `Reads`) and rewrites the names the way
`split_pairs` writes them (``@name/1``: no comment, one mate suffix). Blocks never straddle a
chunk of ``reads_per_chunk`` reads, so `ChunkWriter` only has to gzip them one after another;
zlib releases the GIL, so R1 and R2 are read and compressed in parallel threads.

    for block in fastq_blocks(Path("s_R1.fastq.gz"), 26_000, b"/1"): ...
"""

from __future__ import annotations

import gzip
from collections.abc import Generator
from pathlib import Path
from typing import NamedTuple

from stargazer.types.fastq_records import (
    decompressed,
    first_malformed,
    malformed,
    name_tokens,
    raw_name,
    whole_records,
)

#: Compressed bytes read at a time (a few MB of FASTQ once gunzipped).
PIECE = 1 << 20


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


def _rewritten(
    text: bytes | None, lines: list[bytes], start: int, chunk: int, suffix: bytes
) -> Block:
    """The block of checked records ``lines``: names stripped, written ``@name{suffix}``.

    ``text`` is their bytes when known; it is the block's data when nothing changes.
    """
    headers = lines[0::4]
    names = [
        token[:-2] if len(token) > 2 and token[-2:] in (b"/1", b"/2") else token
        for token in name_tokens(headers)
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
    for text, lines in whole_records(path, PIECE):  # PIECE read now: tests set it
        bad = first_malformed(lines)
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


__all__ = [
    "PIECE",
    "Block",
    "ChunkWriter",
    "chunk_path",
    "decompressed",
    "fastq_blocks",
    "malformed",
    "raw_name",
]
