"""Reads into BWA batches: R1/R2 paired up by pysam, cut into batches of bases like bwa's -K.

A batch is a flat list of ``(name, sequence, quality)`` tuples, R1 then R2 of each pair (the
interleaved input pybwa pairs), closed as soon as it holds ``bases`` bases and a whole number
of pairs: the batches `bwa mem -t T` reads with its default ``-K`` (10 Mbp per thread).
Plain tuples are cheap to send to a worker process.

    from stargazer.tasks.general.bwa_reads import batches
    for batch in batches("s_R1.fq.gz", "s_R2.fq.gz", 20_000_000): ...
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pysam

from stargazer.tasks.general.fastq_split import (
    Block,
    ChunkWriter,
    chunk_path,
    fastq_blocks,
    raw_name,
)

Query = tuple[str, str, str]

#: Phred+33 character -> its quality if >= 15, else 0 (samtools fixmate's ``ms`` rule).
_MS_VALUE = np.where(np.arange(256) - 33 >= 15, np.arange(256) - 33, 0).astype(np.int32)


def strip_mate_suffix(name: str) -> str:
    """``read/1`` -> ``read`` (as `bwa mem` does); other names are returned unchanged."""
    if len(name) > 2 and name[-2] == "/" and name[-1] in "12":
        return name[:-2]
    return name


def _unpaired(r1: Path, r2: Path, number: int, first: object, second: object) -> ValueError:
    """The error for R1/R2 files that fall out of step at pair ``number`` (1-based)."""
    advice = "Give the two files of the same sample and run, complete and in the same order."
    if first is None:
        return ValueError(
            f"R1 and R2 do not pair: {r1} ends after {number - 1} reads but {r2} has more. {advice}"
        )
    if second is None:
        name = getattr(first, "name", "")
        return ValueError(
            f"R1 and R2 do not pair: {r2} ends after {number - 1} reads but {r1} has more "
            f"(first unpaired: {name}). {advice}"
        )
    return ValueError(
        f"R1 and R2 do not pair: read {number} is {getattr(first, 'name', '')!r} in {r1} but "
        f"{getattr(second, 'name', '')!r} in {r2}. {advice} (Re-sort them by name if needed.)"
    )


def _query(record: pysam.FastxRecord) -> Query:
    """A FASTQ record as ``(name without /1 or /2, sequence, quality)``."""
    return strip_mate_suffix(record.name or ""), record.sequence or "", record.quality or ""


def pairs(r1: str | Path, r2: str | Path | None) -> Iterator[tuple[Query, ...]]:
    """Each read (single-end) or pair as ``(name, sequence, quality)`` tuples, names stripped.

    Raises:
        ValueError: R1 and R2 do not pair (different names or lengths).
    """
    with pysam.FastxFile(str(r1)) as first:
        if r2 is None:
            for record in first:
                yield (_query(record),)
            return
        with pysam.FastxFile(str(r2)) as second:
            together = itertools.zip_longest(first, second)
            for number, (one, two) in enumerate(together, 1):
                if one is None or two is None:
                    raise _unpaired(Path(r1), Path(r2), number, one, two)
                query, mate = _query(one), _query(two)
                if query[0] != mate[0]:
                    raise _unpaired(Path(r1), Path(r2), number, one, two)
                yield query, mate


def batches(r1: str | Path, r2: str | Path | None, bases: int) -> Iterator[list[Query]]:
    """Batches of queries holding at least ``bases`` bases each (the last one may hold fewer).

    Raises:
        ValueError: R1 and R2 do not pair.
    """
    batch: list[Query] = []
    size = 0
    for group in pairs(r1, r2):
        batch.extend(group)
        size += sum(len(query[1]) for query in group)
        if size >= bases:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def mate_scores(qualities: list[str]) -> list[int]:
    """Per read, the sum of base qualities >= 15 (samtools fixmate's ``ms`` score)."""
    lengths = np.fromiter(map(len, qualities), dtype=np.int64, count=len(qualities))
    values = _MS_VALUE[np.frombuffer("".join(qualities).encode(), dtype=np.uint8)]
    sums = np.zeros(len(qualities), dtype=np.int32)
    if values.size:
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        nonempty = lengths > 0
        sums[nonempty] = np.add.reduceat(values, starts[nonempty])
    result: list[int] = sums.tolist()
    return result


class _Named(NamedTuple):
    """A read as `_unpaired` names it (it only reads ``.name``)."""

    name: str


class _Pairing:
    """Checks that R1 and R2 hold the same names, read by read, as their blocks come in.

    The names a file has ahead of the other wait in ``names``; a file is only read on once
    none of its names wait, so neither runs far ahead of the other.
    """

    def __init__(self, r1: Path, r2: Path) -> None:
        self.files = (r1, r2)
        self.checked = 0  # pairs found to match
        self.names: tuple[list[bytes], list[bytes]] = ([], [])
        self.headers: tuple[list[bytes], list[bytes]] = ([], [])
        self.ended = [False, False]

    def wants(self, mate: int) -> bool:
        """Whether mate ``mate`` (0: R1, 1: R2) should be read on."""
        return not self.names[mate]

    def add(self, mate: int, block: Block | None) -> None:
        """Check the next block of R1 (``mate`` 0) or R2 (1); None: that file has ended.

        Raises:
            ValueError: R1 and R2 do not pair (`_unpaired`'s message).
        """
        if block is None:
            self.ended[mate] = True
        else:
            self.names[mate].extend(block.names)
            self.headers[mate].extend(block.headers)
        first, second = self.names
        common = min(len(first), len(second))
        if first[:common] != second[:common]:
            index = next(i for i in range(common) if first[i] != second[i])
            raise self._error(index, True, True)
        for names, headers in zip(self.names, self.headers, strict=True):
            del names[:common], headers[:common]
        self.checked += common
        for present, other in ((0, 1), (1, 0)):
            if self.ended[other] and self.names[present]:  # one file has reads beyond the other's
                raise self._error(0, present == 0, present == 1)

    def _error(self, index: int, first: bool, second: bool) -> ValueError:
        """`_unpaired` for the waiting read ``index``, present in R1 / R2 as told."""
        records = [
            _Named(raw_name(headers[index])) if present else None
            for headers, present in zip(self.headers, (first, second), strict=True)
        ]
        return _unpaired(*self.files, self.checked + index + 1, *records)


def _pump(
    pool: ThreadPoolExecutor,
    readers: list[Generator[Block, None, None]],
    writers: list[ChunkWriter],
    pairing: _Pairing | None,
) -> None:
    """Move every block from the readers to the writers; each reads / writes in a thread."""
    reading = [pool.submit(next, reader, None) for reader in readers]
    writing: list[Future[None] | None] = [None] * len(writers)
    ended = [False] * len(readers)
    while mates := [
        mate
        for mate in range(len(readers))
        if not ended[mate] and (pairing is None or pairing.wants(mate))
    ]:
        for mate in mates:
            block = reading[mate].result()
            if pairing is not None:
                pairing.add(mate, block)
            if block is None:
                ended[mate] = True
                continue
            reading[mate] = pool.submit(next, readers[mate], None)  # read ahead
            previous = writing[mate]
            if previous is not None:
                previous.result()  # a file's blocks are written in order
            writing[mate] = pool.submit(writers[mate].write, block)
    for future in writing:
        if future is not None:
            future.result()


def split_pairs(
    r1: str | Path, r2: str | Path | None, reads_per_chunk: int, outdir: str | Path
) -> list[tuple[Path, Path | None]]:
    """Cut reads into chunks of ``reads_per_chunk`` reads (pairs), written as gzipped FASTQ.

    Chunk ``i`` holds reads ``[i * n, (i + 1) * n)`` as ``@name/1`` (``/2``; ``@name`` when
    single-end), bases, ``+``, qualities: names without their comment, as `pairs` gives them.
    R1 and R2 are read, checked and gzipped (level 1, no timestamp) in parallel threads.

    Returns:
        (R1, R2 or None) per chunk, in order.

    Raises:
        ValueError: R1 and R2 do not pair, or a file is not 4-line FASTQ (a chunk file may
            be left half-written: write into a folder that is discarded on error).
    """
    outdir = Path(outdir)
    files = [Path(r1)] if r2 is None else [Path(r1), Path(r2)]
    suffixes = [b""] if r2 is None else [b"/1", b"/2"]
    readers = [
        fastq_blocks(path, reads_per_chunk, s) for path, s in zip(files, suffixes, strict=True)
    ]
    writers = [ChunkWriter(outdir, mate) for mate in range(1, len(files) + 1)]
    pairing = _Pairing(files[0], files[1]) if r2 is not None else None
    try:
        with ThreadPoolExecutor(max_workers=2 * len(files)) as pool:
            _pump(pool, readers, writers, pairing)
    finally:
        for reader, writer in zip(readers, writers, strict=True):
            reader.close()  # closes its file now, also when a read fails
            writer.close()
    return [
        (chunk_path(outdir, chunk, 1), chunk_path(outdir, chunk, 2) if r2 is not None else None)
        for chunk in range(writers[0].chunks)
    ]


__all__ = ["Query", "batches", "mate_scores", "pairs", "split_pairs", "strip_mate_suffix"]
