"""FASTQ as bytes: whole 4-line records a block at a time, their layout checked in bulk.

`decompressed` gunzips (or reads) a FASTQ in big pieces. `whole_records` cuts each piece
after its last whole record, so a block always holds whole records, split into lines at C
speed (CRLF line ends read as LF); `first_malformed` checks a block's four-line layout in bulk
and only walks the records when that fails. `split_pairs` cuts reads into chunks with these
(stargazer.tasks.general.fastq_split). Names are read as pysam (kseq) reads them: the first
whitespace-separated token of the name line (`name_tokens`, `raw_name`).

`count_reads` checks reads for `Reads` without splitting them into lines: newlines are found
with numpy (which, like zlib, lets go of the GIL, so R1 and R2 are read in two threads), and
a file passes only if pysam would read every record exactly as it is written; anything else
is left to pysam, record by record, to name the problem (or accept what pysam accepts).

    for text, lines in whole_records(Path("s_R1.fastq.gz")):
        bad = first_malformed(lines)  # None, or (index of the record in lines, why)
    count_reads(Path("s_R1.fastq.gz"), Path("s_R2.fastq.gz"))  # pairs; ValueError if not sure
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import numpy.typing as npt

#: Compressed bytes read at a time (a few MB of FASTQ once gunzipped).
PIECE = 1 << 20
#: The first token of a name line: the read name as pysam (kseq) reads it.
_TOKEN = re.compile(rb"^@(\S*)", re.MULTILINE)
_LAYOUT = "each read is 4 lines (@name, bases, +, qualities)"


def malformed(path: Path, number: int, problem: str) -> ValueError:
    """The error for read ``number`` (1-based) of ``path`` that is not a FASTQ record."""
    return ValueError(f"{path}: read {number} is not a FASTQ record: {problem}; {_LAYOUT}")


def raw_name(header: bytes) -> str:
    """The name of a name line as pysam gives it (``r1/1`` for ``@r1/1 1:N:0``)."""
    match = _TOKEN.match(header)
    return (match.group(1) if match else header).decode(errors="replace")


def name_tokens(headers: list[bytes]) -> list[bytes]:
    """The names of name lines that all start with '@', as pysam reads them, in one pass."""
    return _TOKEN.findall(b"\n".join(headers))


def decompressed(path: Path, piece: int = PIECE, padding: bool = True) -> Iterator[bytes]:
    """The bytes of ``path`` in pieces, gunzipped when it starts with gzip's magic bytes.

    A gzip file may hold many members (bgzip writes many; ``cat a.gz b.gz`` makes two);
    with ``padding``, zero bytes after a member are skipped as gzip does, else refused.

    Raises:
        ValueError: The gzip stream is corrupt or cut short.
    """
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        if gzipped:
            yield from _gunzipped(path, handle, piece, padding)
        else:
            yield from iter(lambda: handle.read(4 * piece), b"")


def _gunzipped(path: Path, handle: BinaryIO, piece: int, padding: bool) -> Iterator[bytes]:
    """The gunzipped bytes of ``handle``, one piece per ``piece`` bytes read."""
    inflater = zlib.decompressobj(31)
    try:
        while compressed := handle.read(piece):
            pieces = []
            while compressed:
                if inflater.eof:  # the next member
                    compressed = compressed.lstrip(b"\0") if padding else compressed
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


def _unix(text: bytes, lines: list[bytes]) -> tuple[bytes, list[bytes]]:
    """Whole lines ``text`` (ending in a newline) and its ``lines``, with CRLF read as LF."""
    if b"\r" not in text:
        return text, lines
    text = text.replace(b"\r\n", b"\n")
    return text, text[:-1].split(b"\n")


def whole_records(
    path: Path, piece: int = PIECE, padding: bool = True
) -> Iterator[tuple[bytes, list[bytes]]]:
    """``(text, lines)`` of whole records: ``text`` ends with the newline of ``lines[-1]``.

    Lines end in LF: a CR just before it is dropped (only there, once). ``piece`` and
    ``padding`` are `decompressed`'s.

    Raises:
        ValueError: The file ends in the middle of a record, or its gzip stream is damaged.
    """
    carry, count = b"", 0
    for chunk in decompressed(path, piece, padding):
        text = carry + chunk
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
        yield _unix(text[: end + 1], lines)
    lines = carry.replace(b"\r\n", b"\n").split(b"\n")
    while len(lines) % 4 and not lines[-1]:  # the last newline, blank lines after the last read
        lines.pop()
    if len(lines) % 4:
        raise malformed(path, count + len(lines) // 4 + 1, "the file ends in the middle of it")
    if lines:
        yield b"\n".join(lines) + b"\n", lines


def first_malformed(lines: list[bytes]) -> tuple[int, str] | None:
    """The first record of ``lines`` that is not a 4-line FASTQ record, with the reason.

    A record is one when its name line starts with '@', its third line with '+' and it has
    as many quality values as bases.
    """
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


# --- reads as pysam reads them, for `Reads` ----------------------------------------------

_LF, _PLUS, _AT = (ord(mark) for mark in "\n+@")
#: First bytes of a bases line that pysam does not read as bases: LF (an empty line), + > @.
_NOT_BASES = np.array([ord(mark) for mark in "\n+>@"], dtype=np.uint8)
#: A name line's first token, with its '@'.
_NAMED = re.compile(rb"^@\S*", re.MULTILINE)


class RecordBlock(NamedTuple):
    """Whole 4-line records of a file, as bytes and where their lines start and end.

    Attributes:
        data: The records (ASCII, LF line ends), one byte per item.
        starts: Where each line starts in ``data``.
        ends: Where each line ends: its LF.
    """

    data: npt.NDArray[np.uint8]
    starts: npt.NDArray[np.intp]
    ends: npt.NDArray[np.intp]

    @classmethod
    def of(cls, text: bytes) -> RecordBlock:
        """The block of ``text``: lines that end in LF, 4 per record."""
        data = np.frombuffer(text, dtype=np.uint8)
        ends = np.flatnonzero(data == _LF)
        starts = np.empty_like(ends)
        starts[:1] = 0
        starts[1:] = ends[:-1] + 1
        return cls(data, starts, ends)


def _plain(text: bytes, path: Path) -> bytes:
    """``text`` with CRLF read as LF; a CR may be left only as its last byte (an LF may follow).

    Raises:
        ValueError: It holds bytes pysam reads another way: not ASCII, NUL, or a CR elsewhere.
    """
    if not text.isascii() or b"\0" in text:
        raise ValueError(f"{path}: a byte that is not ASCII, or a NUL")
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n")
        if text.find(b"\r", 0, len(text) - 1) >= 0:
            raise ValueError(f"{path}: a CR that does not end a line")
    return text


def record_blocks(path: Path, piece: int = PIECE) -> Iterator[RecordBlock]:
    """The records of ``path`` in blocks of whole records, blank lines at its end dropped.

    A piece is not copied: its records are a block as they are, and the record cut by its
    end makes a block of its own (with the lines before it, kept in ``carry``).

    Raises:
        ValueError: The file ends in the middle of a record, holds bytes pysam reads another
            way (`_plain`), or its gzip stream is damaged or padded with zeros.
    """
    carry = b""  # the lines after the last whole record: 3 at most, the last maybe partial
    for chunk in decompressed(path, piece, padding=False):
        text = _plain(chunk, path)
        block = RecordBlock.of(text)
        first = 0  # the first line of a whole record in text
        if carry:
            first = 4 - carry.count(b"\n")
            if len(block.ends) < first:
                carry = _plain(carry + text, path)
                continue
            yield RecordBlock.of(_plain(carry + text[: block.ends[first - 1] + 1], path))
        whole = first + (len(block.ends) - first) // 4 * 4
        if whole > first:
            yield RecordBlock(block.data, block.starts[first:whole], block.ends[first:whole])
        carry = text[block.ends[whole - 1] + 1 :] if whole else text
    if b"\r" in carry:
        raise ValueError(f"{path}: a CR that does not end a line")
    if carry.rstrip(b"\n"):
        block = RecordBlock.of(carry.rstrip(b"\n") + b"\n")
        if len(block.ends) % 4:
            raise ValueError(f"{path}: the file ends in the middle of a read")
        yield block


def as_written(block: RecordBlock) -> bool:
    """Whether pysam reads every record of ``block`` as it is written, and takes it.

    Each record must be 4 lines: a name line starting with '@'; bases, not empty and not
    starting with '@', '>' or '+' (pysam would read that line as the next name line or the
    '+' line); a line starting with '+'; and as many quality values as bases.
    """
    data, starts, ends = block
    first = data[starts]  # each line's first byte: LF for an empty line
    lengths = ends - starts
    bases = first[1::4]
    return bool(
        (first[0::4] == _AT).all()
        and (first[2::4] == _PLUS).all()
        and (lengths[1::4] == lengths[3::4]).all()
        and ((bases > _AT).all() or not np.isin(bases, _NOT_BASES).any())
    )


def mate_names(block: RecordBlock) -> bytes:
    """The names of the records of ``block`` (`as_written`) without a /1 or /2 suffix.

    Each name keeps its '@' and ends in LF; it is the first token of the name line, as
    pysam reads it.
    """
    data, starts, ends = block
    heads, sizes = starts[0::4], ends[0::4] + 1 - starts[0::4]  # name lines with their LF
    offsets = np.cumsum(sizes) - sizes
    index = np.arange(int(sizes.sum())) + np.repeat(heads - offsets, sizes)
    lines: bytes = data[index].tobytes()
    if any(space in lines for space in (b" ", b"\t", b"\v", b"\f")):
        lines = b"\n".join(_NAMED.findall(lines)) + b"\n"
    # ASCII, so 0xFF marks a stripped suffix: "a/2/1" loses only its /1, as `_read_name`
    marked = lines.replace(b"/1\n", b"\xff\n").replace(b"/2\n", b"\xff\n")
    return marked.replace(b"\xff", b"")


def _checked(path: Path, names: bool) -> Generator[tuple[int, bytes], None, None]:
    """``(reads, their names if names else b"")`` of each block of ``path``.

    Raises:
        ValueError: A record pysam would not read as written (`as_written`), or
            `record_blocks`' problems.
    """
    for block in record_blocks(path, PIECE):  # PIECE read now: tests set it
        if not as_written(block):
            raise ValueError(f"{path}: a read pysam would not read as it is written")
        yield len(block.ends) // 4, mate_names(block) if names else b""


def count_reads(r1: Path, r2: Path | None) -> int:
    """How many reads (pairs) R1 (and R2) hold, each read as pysam would read it.

    R1 and R2 must hold reads of the same names (without /1, /2) in the same order.

    Raises:
        ValueError: Not sure the files are good: a read is not plain 4-line FASTQ that pysam
            reads as written (`record_blocks`, `as_written`), or R1 and R2 do not pair up.
    """
    if r2 is None:
        return sum(count for count, _ in _checked(r1, False))
    readers = (_checked(r1, True), _checked(r2, True))
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return _pair_up(pool, readers)
    finally:
        for reader in readers:  # after the pool: neither runs in a thread now
            reader.close()


class _Names:
    """The names of one file read but not yet paired off: ``count`` names, each ending in LF."""

    def __init__(self) -> None:
        self.text, self.count = b"", 0

    def add(self, block: tuple[int, bytes] | None) -> None:
        """Add a block's ``(count, names)``; None (the file has ended) adds nothing."""
        if block is not None:
            self.count += block[0]
            self.text += block[1]

    def take(self, count: int) -> bytes:
        """Remove the first ``count`` names; return them."""
        cut = len(self.text)
        if count < self.count:
            cut = int(np.flatnonzero(np.frombuffer(self.text, np.uint8) == _LF)[count - 1]) + 1
        taken, self.text = self.text[:cut], self.text[cut:]
        self.count -= count
        return taken


def _pair_up(
    pool: ThreadPoolExecutor, readers: tuple[Generator[tuple[int, bytes], None, None], ...]
) -> int:
    """Read both files (a block ahead, in ``pool``), pairing names off; the number of pairs."""
    waiting = (_Names(), _Names())
    ahead: list[Future[tuple[int, bytes] | None] | None]
    ahead = [pool.submit(next, reader, None) for reader in readers]
    pairs = 0
    while ahead[0] is not None or ahead[1] is not None:
        for mate, future in enumerate(ahead):
            if future is not None and not waiting[mate].count:  # nothing of this file waits
                block = future.result()
                ahead[mate] = None if block is None else pool.submit(next, readers[mate], None)
                waiting[mate].add(block)
        common = min(waiting[0].count, waiting[1].count)
        if common and waiting[0].take(common) != waiting[1].take(common):
            raise ValueError("R1 and R2 do not name the same reads in the same order")
        pairs += common
        if (ahead[0] is None and waiting[1].count) or (ahead[1] is None and waiting[0].count):
            raise ValueError("R1 and R2 do not hold the same number of reads")
    return pairs


__all__ = [
    "PIECE",
    "RecordBlock",
    "as_written",
    "count_reads",
    "decompressed",
    "first_malformed",
    "malformed",
    "mate_names",
    "name_tokens",
    "raw_name",
    "record_blocks",
    "whole_records",
]
