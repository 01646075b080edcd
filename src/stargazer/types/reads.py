"""Sequencing reads: FASTQ or FASTQ.gz, single-end or paired (R1 primary, R2 companion)."""

from __future__ import annotations

import gzip
import itertools
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset
from stargazer.types.sniff import mismatch, sniff


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
        for path in (r1, r2):
            if path is not None:
                _check_container(path)
        count = _check_records(r1, r2)
        if count == 0:
            raise InvalidAssetError(f"{r1}: no reads in the file; give a FASTQ with reads")
        return files, {**metadata, "paired": r2 is not None}


def _check_container(path: Path) -> None:
    """Refuse non-FASTQ content and truncated or corrupt gzip before parsing records."""
    label = sniff(path)
    if label != "fastq":
        raise InvalidAssetError(mismatch(path, label, "FASTQ", "reads"))
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    if not compressed:
        return
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(8 * 1024 * 1024):
                pass
    except (EOFError, OSError, zlib.error) as err:
        raise InvalidAssetError(
            f"{path}: the gzip stream is truncated or corrupt ({err}); re-copy or re-compress "
            "the file"
        ) from err


def _read_name(name: str) -> str:
    """The read name without a /1 or /2 mate suffix."""
    return name[:-2] if name.endswith(("/1", "/2")) else name


def _check_records(r1: Path, r2: Path | None) -> int:
    """Parse every record with pysam; check qualities and that R1/R2 pair up. Returns count."""
    import pysam

    count = 0
    handles = [pysam.FastxFile(str(r1))]
    if r2 is not None:
        handles.append(pysam.FastxFile(str(r2)))
    current = r1
    try:
        streams = [iter(h) for h in handles]
        sentinel = object()
        for count, pair in enumerate(itertools.zip_longest(*streams, fillvalue=sentinel), 1):
            for path, record in zip((r1, r2), pair, strict=False):
                current = path
                if record is sentinel:
                    shorter, longer = (r1, r2) if path == r1 else (r2, r1)
                    raise InvalidAssetError(
                        f"{shorter}: has fewer reads than {longer} (they differ at read "
                        f"{count}); R1 and R2 must hold the same reads in the same order"
                    )
                _check_record(path, record, count)
            if r2 is not None:
                name1, name2 = _read_name(pair[0].name), _read_name(pair[1].name)
                if name1 != name2:
                    raise InvalidAssetError(
                        f"{r2}: read {count} is {pair[1].name!r} but R1 has {pair[0].name!r}; "
                        "R1 and R2 must hold the same reads in the same order"
                    )
    except (OSError, ValueError) as err:
        if isinstance(err, InvalidAssetError):
            raise
        raise InvalidAssetError(
            f"{current}: not a valid FASTQ near read {count + 1} ({err}); check the file is "
            "complete and four lines per read"
        ) from err
    finally:
        for handle in handles:
            handle.close()
    return count


def _check_record(path: Path, record: Any, number: int) -> None:
    if record.quality is None:
        raise InvalidAssetError(
            f"{path}: read {number} ({record.name}) has no quality line; this looks like "
            "FASTA, not FASTQ (add it as --type reference if it is a genome)"
        )
    if len(record.sequence) != len(record.quality):
        raise InvalidAssetError(
            f"{path}: read {number} ({record.name}) has {len(record.sequence)} bases but "
            f"{len(record.quality)} quality values; the file is corrupt"
        )
    if not record.sequence:
        raise InvalidAssetError(f"{path}: read {number} ({record.name}) has no bases")
