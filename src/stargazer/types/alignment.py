"""Read alignments: a BAM file with its BAI index."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset, link_into
from stargazer.types.sniff import gzip_damage, has_bgzf_eof, require_format


@dataclass
class Alignment(Asset):
    """Aligned reads of one sample (BAM). A sorted BAM gets a `.bai` built if none is given.

    Attributes:
        sample_id: The sample the reads come from.
        reference_id: Id of the `Reference` asset the reads were aligned to ("" if unknown).
        sorted: Whether the BAM is coordinate-sorted (checked by indexing it).
        duplicates_marked: Whether duplicate reads are flagged.
        regions: For a region shard, the regions whose reads it holds (reads that start
            there, e.g. ``chr1:1-5000000,chr2:1-800``); empty for a whole alignment.
    """

    kind: ClassVar[str] = "alignment"
    roles: ClassVar[tuple[str, ...]] = ("bai",)

    sample_id: str = ""
    reference_id: str = ""
    sorted: bool = False
    duplicates_marked: bool = False
    regions: str = ""

    @classmethod
    def _companion_name(cls, role: str, primary: str, given: str) -> str:
        return f"{primary}.{role}"

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        bam = files["primary"]
        require_format(bam, "bam", "BAM", "alignment")
        if not has_bgzf_eof(bam):
            raise InvalidAssetError(
                f"{bam}: the BAM is truncated (no end-of-file block); re-create or re-copy it"
            )
        if metadata["reference_id"]:
            _check_reference(bam, metadata["reference_id"])
        files = dict(files)
        link = link_into(workdir, bam, bam.name)
        if not metadata["sorted"] and "bai" not in files:
            _read_through(bam, link)
            return files, metadata
        fresh = workdir / f"{bam.name}.fresh.bai"
        if not _index_in_order(bam, link, fresh):
            if metadata["sorted"]:
                raise InvalidAssetError(
                    f"{bam}: labelled sorted but the records are not in coordinate order; sort "
                    "it (pysam.sort) or add it with sorted=false"
                )
            raise InvalidAssetError(
                f"{files['bai']}: an index needs a coordinate-sorted BAM, and {bam} is not "
                "sorted; sort it first or leave the index out"
            )
        if "bai" in files:
            index = link_into(workdir, files["bai"], f"{bam.name}.bai")
            _check_index(bam, link, index, files["bai"], fresh)
            fresh.unlink()
        else:
            files["bai"] = fresh.rename(workdir / f"{bam.name}.bai")
        return files, metadata


def _check_reference(bam: Path, reference_id: str) -> None:
    from stargazer.store import open_store

    try:
        manifest = open_store().manifest(reference_id)
    except ValueError as err:
        raise InvalidAssetError(f"{bam}: reference_id {err}") from err
    if manifest is None or manifest["kind"] != "reference":
        raise InvalidAssetError(
            f"{bam}: reference_id {reference_id} is not a reference asset in the store; add the "
            "reference first and pass its id"
        )
    if "fai" not in manifest["files"]:
        return  # every Reference gets a .fai; nothing to compare against otherwise
    problem = _header_difference(bam, _fai_contigs(Asset.from_manifest(manifest)))
    if problem:
        build = manifest["metadata"].get("build") or manifest["names"]["primary"]
        raise InvalidAssetError(
            f"{bam}: its header does not match reference {reference_id} ({build}): {problem}; "
            "re-align the reads to this reference, or pass the reference_id of the genome they "
            "were aligned to (or leave reference_id out)"
        )


def _fai_contigs(reference: Asset) -> list[tuple[str, int]]:
    """(name, length) of each contig, from the reference's .fai (fetched if remote)."""
    rows = reference.companion("fai").read_text().splitlines()
    return [(name, int(length)) for name, length, *_ in (row.split("\t") for row in rows if row)]


def _header_difference(bam: Path, contigs: list[tuple[str, int]]) -> str:
    """How the BAM's @SQ lines differ from the reference's contigs ("" if they are the same).

    Only the header is read, so this costs the same for any size of BAM.
    """
    import pysam

    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        header = list(zip(handle.references, handle.lengths, strict=True))
    if header == contigs:
        return ""
    if not header:
        return "it has no @SQ lines (unaligned reads?)"
    lengths = dict(contigs)
    for name, length in header:
        if name not in lengths:
            return f"@SQ {name} is not a contig of the reference"
        if length != lengths[name]:
            return f"@SQ {name} has length {length}, the reference's {name} has {lengths[name]}"
    listed = {name for name, _ in header}
    missing = [name for name, _ in contigs if name not in listed]
    if missing:
        return f"the reference's {missing[0]} has no @SQ line ({len(missing)} contigs missing)"
    return (
        "the @SQ lines list the reference's contigs in another order (tools such as GATK need "
        "the reference's order)"
    )


def _threads() -> str:
    return str(min(4, os.cpu_count() or 1))


def _read_through(bam: Path, link: Path) -> None:
    """Decode every record in C (``samtools view -c``); raise if the BAM is corrupt."""
    import pysam
    from pysam.utils import SamtoolsError

    quiet = pysam.set_verbosity(0)  # htslib's own messages would only repeat the error
    try:
        pysam.samtools.view("-c", "-@", _threads(), str(link))
    except SamtoolsError as err:
        damage = gzip_damage(bam)  # a damaged BGZF block is said plainly (error path only)
        detail = (
            f"its gzip (BGZF) stream is corrupt ({damage}): it was damaged in transfer or on "
            "disk; re-copy or re-download it (`gzip -t FILE` checks a copy)"
            if damage
            else "the file is truncated or corrupt"
        )
        raise InvalidAssetError(
            f"{bam}: pysam cannot read it as BAM ({str(err).strip()}); {detail}"
        ) from err
    finally:
        pysam.set_verbosity(quiet)


def _index_in_order(bam: Path, link: Path, fresh: Path) -> bool:
    """Build a BAI for the BAM at ``fresh``; False if its records are not coordinate-sorted.

    ``samtools index`` reads every record in C and refuses positions that go backwards on a
    contig, a contig that comes back after another, and placed records after unplaced ones.
    What it allows, contigs out of header order, is caught from the index: the first record
    of each contig must lie further into the file than the first of the contig before it.

    Raises:
        InvalidAssetError: The BAM is corrupt (it cannot even be read through).
    """
    import pysam
    from pysam.utils import SamtoolsError

    quiet = pysam.set_verbosity(0)  # htslib prints "Unsorted positions ..." to stderr
    try:
        pysam.samtools.index("-@", _threads(), str(link), str(fresh), catch_stdout=False)
    except SamtoolsError:
        _read_through(bam, link)  # raises if corrupt; otherwise the order was the problem
        return False
    finally:
        pysam.set_verbosity(quiet)
    with pysam.AlignmentFile(str(link), "rb", index_filename=str(fresh)) as handle:
        last = -1
        for stat in handle.get_index_statistics():
            if not stat.total:
                continue
            next(handle.fetch(stat.contig), None)
            offset = handle.tell()
            if offset <= last:
                return False
            last = offset
    return True


def _check_index(bam: Path, link: Path, index: Path, original: Path, fresh: Path) -> None:
    """Compare the given index's per-contig record counts with a fresh index of the BAM."""
    import pysam

    def counts(bai: Path) -> tuple[list[tuple[str, int, int]], int]:
        with pysam.AlignmentFile(str(link), "rb", index_filename=str(bai)) as handle:
            stats = [(s.contig, s.mapped, s.unmapped) for s in handle.get_index_statistics()]
            return stats, handle.nocoordinate

    expected, expected_unplaced = counts(fresh)
    problem = ""
    try:
        given, given_unplaced = counts(index)
    except (OSError, ValueError) as err:
        given, given_unplaced, problem = [], 0, f"pysam cannot use it: {err}"
    for (name, mapped, unmapped), (_, want_mapped, want_unmapped) in zip(
        given, expected, strict=False
    ):
        if not problem and (mapped, unmapped) != (want_mapped, want_unmapped):
            problem = (
                f"it counts {mapped + unmapped} records on {name}, the BAM has "
                f"{want_mapped + want_unmapped}"
            )
    if not problem and given_unplaced != expected_unplaced:
        problem = f"it counts {given_unplaced} unplaced records, the BAM has {expected_unplaced}"
    if problem:
        raise InvalidAssetError(
            f"{original}: this BAI does not belong to {bam} ({problem}); rebuild it with "
            "pysam.index or leave it out"
        )
