"""Sequencing reads: FASTQ or FASTQ.gz, single-end or paired (R1 primary, R2 companion).

Reads are checked on the way in a block of records at a time (`fastq_records.count_reads`,
R1 and R2 in two threads): every read must be a 4-line record that pysam reads as written,
and R1 and R2 must name the same reads in the same order. Anything else (a damaged file, a
bad record, FASTQ that pysam reads another way: multi-line, blank lines, non-ASCII) is read
again record by record with pysam, as it always was: that says what is wrong and where, or
accepts the file as pysam does.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset
from stargazer.types.sniff import corrupt_gzip, gzip_damage, require_format

if TYPE_CHECKING:
    from pysam.libcfaidx import FastxRecord


@dataclass
class Reads(Asset):
    """FASTQ reads of one sample; paired reads keep R2 in the `r2` companion.

    Attributes:
        sample_id: The sample the reads come from.
        platform: The sequencing platform (read-group PL), e.g. ILLUMINA.
        paired: Whether an R2 file is present (set from the companions).
    """

    kind: ClassVar[str] = "reads"
    roles: ClassVar[tuple[str, ...]] = ("r2",)

    sample_id: str = ""
    platform: str = "ILLUMINA"
    paired: bool = False

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        r1, r2 = files["primary"], files.get("r2")
        if metadata["paired"] and r2 is None:
            raise InvalidAssetError(
                f"{r1}: paired=True but no R2 file: pass companions={{'r2': R2}} "
                "(CLI: --companion R2.fastq.gz)"
            )
        if r2 is not None:
            _check_distinct(r1, r2)
        try:
            count = _count_reads(r1, r2)
        except (ValueError, OSError):  # InvalidAssetError too
            count = _check_slowly(r1, r2)  # says what is wrong, or accepts it as pysam does
        if count == 0:
            raise InvalidAssetError(f"{r1}: no reads in the file; give a FASTQ with reads")
        return files, {**metadata, "paired": r2 is not None}


def _check_distinct(r1: Path, r2: Path) -> None:
    """Refuse the same file, or two copies of the same bytes, given as both R1 and R2.

    Mates differ within their first record (names or bases), so comparing stops after one
    block for a real pair; only files of equal size are compared at all.
    """
    if r1.resolve() == r2.resolve() or r1.samefile(r2):
        same = f"R2 is the same file as R1 ({r1})"
    elif r1.stat().st_size == r2.stat().st_size and _same_bytes(r1, r2):
        same = f"R2 has the same content (the same digest) as R1 ({r1})"
    else:
        return
    raise InvalidAssetError(
        f"{r2}: {same}; paired reads need the mate file as R2 (usually named *_R2*.fastq.gz "
        "next to *_R1*): pass that one, or add R1 alone as single-end reads"
    )


def _same_bytes(a: Path, b: Path, block: int = 1024 * 1024) -> bool:
    with open(a, "rb") as first, open(b, "rb") as second:
        while True:
            left, right = first.read(block), second.read(block)
            if left != right:
                return False
            if not left:
                return True


def _count_reads(r1: Path, r2: Path | None) -> int:
    """The number of reads (pairs), when the fast checks are sure the files are good.

    Raises:
        InvalidAssetError: A file is not FASTQ (`require_format`).
        ValueError: Anything else is or may be wrong (`count_reads`): `_check_slowly` says.
    """
    from stargazer.types.fastq_records import count_reads  # numpy: imported when used

    for path in (r1, r2):
        if path is not None:
            require_format(path, "fastq", "FASTQ", "reads")
    return count_reads(r1, r2)


def _check_slowly(r1: Path, r2: Path | None) -> int:
    """Check R1 (and R2) as pysam reads them, record by record; the number of reads (pairs).

    For files the fast checks are not sure of: says exactly what is wrong and where, or
    accepts what pysam accepts. Every file's container (format, then its whole gzip stream)
    is checked before any record, as it always was.

    Raises:
        InvalidAssetError: The first problem found, as the checks have always named it.
    """
    for path in (r1, r2):
        if path is not None:
            _check_container(path)
    return _check_records(r1, r2)


def _check_container(path: Path) -> None:
    """Refuse non-FASTQ content and truncated or corrupt gzip before parsing records."""
    require_format(path, "fastq", "FASTQ", "reads")
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    if not compressed:
        return
    problem = gzip_damage(path)
    if problem:
        raise InvalidAssetError(corrupt_gzip(path, problem))


def _read_name(name: str | None) -> str:
    """The read name without a /1 or /2 mate suffix."""
    name = name or ""
    return name[:-2] if name.endswith(("/1", "/2")) else name


def _check_records(r1: Path, r2: Path | None) -> int:
    """Parse every record with pysam; check qualities and that R1/R2 pair up. Returns count."""
    import pysam

    count = 0
    paths = [r1] if r2 is None else [r1, r2]
    handles = [pysam.FastxFile(str(path)) for path in paths]
    current = r1
    try:
        # one record of each file at a time; None once a file has run out
        for count, records in enumerate(itertools.zip_longest(*handles), 1):
            current = _check_read(paths, records, count)
    except _BadRecord as err:
        # pysam's view of a damaged file is vague: look again at this read's lines to say
        # where it breaks, and whether the file simply stops in the middle of it
        raise InvalidAssetError(_layout_problem(err.path, count) or str(err)) from err
    except InvalidAssetError:
        raise  # R1 and R2 do not pair up
    except (OSError, ValueError) as err:
        # pysam failed reading read count + 1, in R1 or in R2
        for path in (r1, r2):
            found = _layout_problem(path, count + 1) if path is not None else ""
            if found:
                raise InvalidAssetError(found) from err
        raise InvalidAssetError(
            f"{current}: not a valid FASTQ near read {count + 1} ({err}); check the file is "
            "complete and four lines per read"
        ) from err
    finally:
        for handle in handles:
            handle.close()
    return count


def _check_read(paths: list[Path], records: tuple[FastxRecord | None, ...], number: int) -> Path:
    """Check read `number` of R1 (and R2, and that they pair up); return the last file read."""
    checked: list[FastxRecord] = []
    for path, record in zip(paths, records, strict=True):
        if record is None:
            shorter, longer = paths if path == paths[0] else paths[::-1]
            raise InvalidAssetError(
                f"{shorter}: has fewer reads than {longer} (they differ at read "
                f"{number}); R1 and R2 must hold the same reads in the same order"
            )
        _check_record(path, record, number)
        checked.append(record)
    if len(checked) == 2:
        first, second = checked
        if _read_name(first.name) != _read_name(second.name):
            raise InvalidAssetError(
                f"{paths[1]}: read {number} is {second.name!r} but R1 has {first.name!r}; "
                "R1 and R2 must hold the same reads in the same order"
            )
    return paths[-1]


class _BadRecord(InvalidAssetError):
    """A read pysam parsed but that is not a whole FASTQ record (in the file `path`)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


def _check_record(path: Path, record: FastxRecord, number: int) -> None:
    sequence = record.sequence or ""
    if record.quality is None:
        raise _BadRecord(
            path,
            f"{path}: read {number} ({record.name}) has no quality line; this looks like "
            "FASTA, not FASTQ (add it as --type reference if it is a genome)",
        )
    if len(sequence) != len(record.quality):
        raise _BadRecord(
            path,
            f"{path}: read {number} ({record.name}) has {len(sequence)} bases but "
            f"{len(record.quality)} quality values; the file is corrupt",
        )
    if not sequence:
        raise _BadRecord(path, f"{path}: read {number} ({record.name}) has no bases")


def _layout_problem(path: Path, number: int) -> str:
    """What is wrong with read `number` (1-based) of a FASTQ of 4-line records, or "".

    pysam parsed the reads before it, so their 4 * (number - 1) lines are skipped by counting
    newlines a block at a time (C speed); only this read and the next are looked at line by
    line. A file that ends inside the read is reported as truncated, naming the line.
    """
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    fix = (
        "re-copy or re-download it and compare its size or checksum with the source (for "
        "gzip, `gzip -t FILE`)"
    )
    with (gzip.open if compressed else open)(path, "rb") as handle:
        line = 4 * (number - 1)
        lines = _lines_after(handle, line)
        if lines is None:
            return ""
        for read in range(number, number + 2):
            record = [next(lines, b"") for _ in range(4)]
            present = [text for text in record if text]
            if not present:
                return ""
            first = line + 1
            line += len(present)
            name = record[0].rstrip(b"\r\n")[1:].split(maxsplit=1)[:1]
            label = f"read {read}" + (f" ({name[0].decode(errors='replace')!r})" if name else "")
            if not record[0].startswith(b"@"):
                return (
                    f"{path}: {label} at line {first} should start with '@' but starts with "
                    f"{record[0][:20]!r}; each read is 4 lines (@name, bases, +, qualities): the "
                    "file is corrupt or not FASTQ"
                )
            bases, plus, quality = (text.rstrip(b"\r\n") for text in record[1:])
            if len(present) < 4 or (not record[3].endswith(b"\n") and len(quality) < len(bases)):
                where = (
                    "after its name line",
                    "after its bases line (no '+' and quality lines)"
                    if record[1].endswith(b"\n")
                    else "in its bases line",
                    "after its '+' line (no quality line)",
                    f"in its quality line ({len(quality)} of {len(bases)} quality values)",
                )[len(present) - 1]
                return (
                    f"{path} line {line}: the file is truncated: it ends in the middle of "
                    f"{label}, {where}; {fix}"
                )
            if not plus.startswith(b"+"):
                return (
                    f"{path}: {label} at line {first + 2} should have its '+' line but has "
                    f"{plus[:20]!r}; each read is 4 lines (@name, bases, +, qualities), and "
                    "multi-line FASTQ is not supported: the file is corrupt or needs re-writing"
                )
            if len(bases) != len(quality):
                return (
                    f"{path}: {label} at line {first} has {len(bases)} bases but {len(quality)} "
                    f"quality values; the file is corrupt: re-create it, or {fix}"
                )
    return ""


def _lines_after(handle: Any, skip: int, block: int = 1 << 20) -> Iterator[bytes] | None:
    """The lines of `handle` after its first `skip` lines; None if it has fewer lines."""
    while True:
        chunk = handle.read(block)
        if not chunk:
            return None if skip else iter(())
        newlines = chunk.count(b"\n")
        if newlines < skip:
            skip -= newlines
            continue
        start = 0
        for _ in range(skip):
            start = chunk.index(b"\n", start) + 1
        return _rest(chunk[start:], handle)


def _rest(head: bytes, handle: Any) -> Iterator[bytes]:
    """The lines of `head` followed by those of `handle` (a line may span the two)."""
    *whole, partial = head.split(b"\n")
    for text in whole:
        yield text + b"\n"
    partial += handle.readline()
    if partial:
        yield partial
    yield from handle
