"""Reads into BWA batches: R1/R2 paired up by pysam, cut into batches of bases like bwa's -K.

A batch is a flat list of ``(name, sequence, quality)`` tuples, R1 then R2 of each pair (the
interleaved input pybwa pairs), closed as soon as it holds ``bases`` bases and a whole number
of pairs: the batches `bwa mem -t T` reads with its default ``-K`` (10 Mbp per thread).
Plain tuples are cheap to send to a worker process.

    from stargazer.tasks.general.bwa_reads import batches
    for batch in batches("s_R1.fq.gz", "s_R2.fq.gz", 20_000_000): ...
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pysam

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


def split_pairs(
    r1: str | Path, r2: str | Path | None, reads_per_chunk: int, outdir: str | Path
) -> list[tuple[Path, Path | None]]:
    """Cut reads into chunks of ``reads_per_chunk`` reads (pairs), written as gzipped FASTQ.

    Returns:
        (R1, R2 or None) per chunk, in order.

    Raises:
        ValueError: R1 and R2 do not pair.
    """
    outdir = Path(outdir)
    chunks: list[tuple[Path, Path | None]] = []
    handles: list[gzip.GzipFile] = []
    try:
        for number, group in enumerate(pairs(r1, r2)):
            if number % reads_per_chunk == 0:
                for handle in handles:
                    handle.close()
                index = len(chunks)
                paths = [outdir / f"chunk{index:04d}_R{mate + 1}.fastq.gz" for mate in range(2)]
                chunks.append((paths[0], paths[1] if r2 is not None else None))
                handles = [
                    gzip.GzipFile(str(path), "wb", compresslevel=1, mtime=0)
                    for path in paths[: len(group)]
                ]
            for mate, (handle, (name, sequence, quality)) in enumerate(
                zip(handles, group, strict=True)
            ):
                suffix = f"/{mate + 1}" if r2 is not None else ""
                handle.write(f"@{name}{suffix}\n{sequence}\n+\n{quality}\n".encode())
    finally:
        for handle in handles:
            handle.close()
    return chunks


__all__ = ["Query", "batches", "mate_scores", "pairs", "split_pairs", "strip_mate_suffix"]
