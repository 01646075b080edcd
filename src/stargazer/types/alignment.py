"""Read alignments: a BAM file with its BAI index."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset, link_into
from stargazer.types.sniff import has_bgzf_eof, mismatch, sniff


@dataclass
class Alignment(Asset):
    """Aligned reads of one sample (BAM). A sorted BAM gets a `.bai` built if none is given.

    Attributes:
        sample_id: The sample the reads come from.
        reference_id: Id of the `Reference` asset the reads were aligned to ("" if unknown).
        sorted: Whether the BAM is coordinate-sorted (checked record by record).
        duplicates_marked: Whether duplicate reads are flagged.
    """

    kind: ClassVar[str] = "alignment"
    roles: ClassVar[tuple[str, ...]] = ("bai",)

    sample_id: str = ""
    reference_id: str = ""
    sorted: bool = False
    duplicates_marked: bool = False

    @classmethod
    def _companion_name(cls, role: str, primary: str, given: str) -> str:
        return f"{primary}.{role}"

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        bam = files["primary"]
        label = sniff(bam)
        if label != "bam":
            raise InvalidAssetError(mismatch(bam, label, "BAM", "alignment"))
        if not has_bgzf_eof(bam):
            raise InvalidAssetError(
                f"{bam}: the BAM is truncated (no end-of-file block); re-create or re-copy it"
            )
        if metadata["reference_id"]:
            _check_reference(bam, metadata["reference_id"])
        counts, in_order = _scan(bam)
        if metadata["sorted"] and not in_order:
            raise InvalidAssetError(
                f"{bam}: labelled sorted but the records are not in coordinate order; sort it "
                "(pysam.sort) or add it with sorted=false"
            )
        files = dict(files)
        link = link_into(workdir, bam, bam.name)
        if "bai" in files:
            if not in_order:
                raise InvalidAssetError(
                    f"{files['bai']}: an index needs a coordinate-sorted BAM, and {bam} is not "
                    "sorted; sort it first or leave the index out"
                )
            index = link_into(workdir, files["bai"], f"{bam.name}.bai")
            _check_index(bam, link, index, files["bai"], counts)
        elif metadata["sorted"]:
            import pysam

            pysam.index(str(link), str(workdir / f"{bam.name}.bai"))
            files["bai"] = workdir / f"{bam.name}.bai"
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


def _scan(bam: Path) -> tuple[dict[int, int], bool]:
    """Read every record with pysam: records per contig (-1 = unplaced) and sortedness."""
    import pysam

    counts: dict[int, int] = {}
    in_order = True
    last = (-1, -1)
    try:
        with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
            for record in handle.fetch(until_eof=True):
                tid = record.reference_id
                counts[tid] = counts.get(tid, 0) + 1
                key = (tid if tid >= 0 else math.inf, record.reference_start)
                if key < last:
                    in_order = False
                last = key
    except (OSError, ValueError) as err:
        raise InvalidAssetError(
            f"{bam}: pysam cannot read it as BAM ({err}); the file is truncated or corrupt"
        ) from err
    return counts, in_order


def _check_index(
    bam: Path, link: Path, index: Path, original: Path, counts: dict[int, int]
) -> None:
    """Open the BAM through the index and compare per-contig record counts with the data."""
    import pysam

    problem = ""
    try:
        with pysam.AlignmentFile(str(link), "rb", index_filename=str(index)) as handle:
            stats = {s.contig: s.total for s in handle.get_index_statistics()}
            for tid, name in enumerate(handle.references):
                if stats.get(name, 0) != counts.get(tid, 0):
                    problem = (
                        f"it counts {stats.get(name, 0)} records on {name}, the BAM has "
                        f"{counts.get(tid, 0)}"
                    )
                    break
    except (OSError, ValueError) as err:
        problem = f"pysam cannot use it: {err}"
    if problem:
        raise InvalidAssetError(
            f"{original}: this BAI does not belong to {bam} ({problem}); rebuild it with "
            "pysam.index or leave it out"
        )
